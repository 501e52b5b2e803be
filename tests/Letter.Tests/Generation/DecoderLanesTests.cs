using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using Letter.Tests.Models.Tiger;
using static TorchSharp.torch;

namespace Letter.Tests.Generation;

/// <summary>Decoder lanes: their own torch thread counts, and decodings spread over them equal to one decoder's.</summary>
public class DecoderLanesTests
{
    private static ItemIndex Index()
    {
        var codes = new List<int[]>();
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                codes.Add([a, b, (a + b) % 4]);
        return new ItemIndex(codes.ToArray());
    }

    /// <summary>Histories of several lengths, so the batches are of several input lengths and sizes.</summary>
    private static List<int[]> Histories(int count) =>
        Enumerable.Range(0, count).Select(u => Enumerable.Range(0, 1 + u % 4).Select(j => (u * 5 + j * 3) % 16).ToArray()).ToList();

    [Fact]
    public async Task Each_lane_decodes_with_its_own_thread_count_and_the_callers_count_and_the_default_stay()
    {
        set_num_threads(2);
        int[] seen;
        using (var lanes = new DecoderLanes(2, threadsPerLane: 1))
        {
            // a product large enough to run in parallel, then the count each lane has
            seen = await Task.WhenAll(Enumerable.Range(0, 2).Select(l => lanes.Run(l, () =>
            {
                using var scope = NewDisposeScope();
                _ = matmul(ones(256, 256), ones(256, 256)).sum().item<float>();
                return get_num_threads();
            })));
        }
        Assert.Equal([1, 1], seen);
        Assert.Equal(2, get_num_threads());
        // a thread that starts torch work later begins with the caller's count, not the lanes'
        int fresh = 0;
        var thread = new Thread(() =>
        {
            using var scope = NewDisposeScope();
            _ = matmul(ones(64, 64), ones(64, 64)).sum().item<float>();
            fresh = get_num_threads();
        });
        thread.Start();
        thread.Join();
        Assert.Equal(2, fresh);
    }

    [Fact]
    public void Decoding_on_two_single_thread_lanes_gives_the_items_and_scores_of_one_two_thread_decoder_and_is_deterministic()
    {
        set_num_threads(2);
        var index = Index();
        manual_seed(21);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0, MaxHistory = 4 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], beam: 6, ownsModel: true);
        var histories = Histories(37);
        var targets = histories.Select((h, u) => (u * 7) % 16).ToList();
        var filters = histories.Select((h, u) => u % 3 == 0 ? ItemFilter.Excluding(h) : null).ToList();
        var keptHere = new bool[histories.Count][];
        var reference = recommender.Decode(histories, batchUsers: 4, targets: targets, targetKept: keptHere, filters: filters);

        using var lanes = new DecoderLanes(2, threadsPerLane: 1);
        var reports = new List<int>();
        var keptLanes = new bool[histories.Count][];
        var onLanes = recommender.Decode(histories, batchUsers: 4, progress: new SyncProgress(reports), targets: targets, targetKept: keptLanes,
            filters: filters, lanes: lanes);
        var again = recommender.Decode(histories, batchUsers: 4, filters: filters, lanes: lanes);

        for (int u = 0; u < histories.Count; u++)
        {
            // 1-thread and 2-thread products differ in the last bits: the same identifiers, scores within 1e-4
            Assert.Equal(reference[u].Select(b => string.Join(',', b.Tokens)).Order(), onLanes[u].Select(b => string.Join(',', b.Tokens)).Order());
            var score = reference[u].ToDictionary(b => string.Join(',', b.Tokens), b => b.Score);
            foreach (var b in onLanes[u]) Assert.Equal(score[string.Join(',', b.Tokens)], b.Score, 1e-4);
            Assert.Equal(keptHere[u], keptLanes[u]);
            // the same batches on lanes of the same thread count: bit for bit the same
            Assert.Equal(onLanes[u].Select(b => (string.Join(',', b.Tokens), b.Score)), again[u].Select(b => (string.Join(',', b.Tokens), b.Score)));
        }
        Assert.Equal(reports.Order(), reports);
        Assert.Equal(histories.Count, reports[^1]);
    }

    [Fact]
    public async Task A_generator_that_cannot_decode_concurrently_decodes_one_batch_at_a_time_on_lanes_and_from_several_callers()
    {
        var stub = new CountingGenerator(new StubGenerator(2, 3), concurrent: false);
        var index = new ItemIndex([[0, 0], [0, 1], [1, 2], [2, 0], [2, 2], [1, 0]]);
        using var recommender = new GenerativeRecommender(stub, new IdentifierCatalog(index, new int[index.ItemCount], stub));
        var histories = Enumerable.Range(0, 24).Select(u => new[] { u % 6, (u + 1) % 6 }).ToList();
        var reference = recommender.Decode(histories, beam: 4, batchUsers: 2);
        using var lanes = new DecoderLanes(2);
        var results = Enumerable.Range(0, 3).Select(_ => Task.Run(() => recommender.Decode(histories, beam: 4, batchUsers: 2, lanes: lanes)))
            .Concat(Enumerable.Range(0, 3).Select(_ => Task.Run(() => recommender.Decode(histories, beam: 4, batchUsers: 2)))).ToArray();
        var decoded = await Task.WhenAll(results);
        Assert.Equal(1, stub.MaxLive);
        foreach (var r in decoded)
            for (int u = 0; u < histories.Count; u++)
                Assert.Equal(reference[u].Select(b => (string.Join(',', b.Tokens), b.Score)), r[u].Select(b => (string.Join(',', b.Tokens), b.Score)));

        // the same generator declared concurrent is decoded on both lanes at once
        var concurrent = new CountingGenerator(new StubGenerator(2, 3), concurrent: true, holdMs: 50);
        using var both = new GenerativeRecommender(concurrent, new IdentifierCatalog(index, new int[index.ItemCount], concurrent));
        both.Decode(histories, beam: 4, batchUsers: 2, lanes: lanes);
        Assert.Equal(2, concurrent.MaxLive);
    }

    [Fact]
    public void A_failing_batch_on_a_lane_is_thrown_to_the_caller_and_cancellation_stops_the_lanes()
    {
        var failing = new CountingGenerator(new StubGenerator(2, 3), concurrent: true, failAt: 3);
        var index = new ItemIndex([[0, 0], [0, 1], [1, 2], [2, 0], [2, 2], [1, 0]]);
        using var recommender = new GenerativeRecommender(failing, new IdentifierCatalog(index, new int[index.ItemCount], failing));
        var histories = Enumerable.Range(0, 24).Select(u => new[] { u % 6 }).ToList();
        using var lanes = new DecoderLanes(2);
        var e = Assert.Throws<InvalidOperationException>(() => recommender.Decode(histories, beam: 2, batchUsers: 2, lanes: lanes));
        Assert.Equal("start 3 fails", e.Message);
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => recommender.Decode(histories, beam: 2, batchUsers: 2, cancel: cancel.Token, lanes: lanes));
    }

    /// <summary>Reports on the reporting thread (Progress would post to the thread pool).</summary>
    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports) reports.Add(value);
        }
    }

    /// <summary>A generator that counts its live states (the most at once) and may hold or fail a start.</summary>
    private sealed class CountingGenerator(IIdentifierGenerator inner, bool concurrent, int holdMs = 0, int failAt = -1) : IIdentifierGenerator
    {
        private int _live, _starts;
        public int MaxLive;
        public int VocabularySize => inner.VocabularySize;
        public int CodeToken(int level, int code) => inner.CodeToken(level, code);
        public int EndToken => inner.EndToken;
        public int MaxHistory => inner.MaxHistory;
        public int InputLength(ReadOnlySpan<int> history) => inner.InputLength(history);
        public Precision Precision => inner.Precision;
        public bool ConcurrentDecoding => concurrent;

        public IGenerationState Start(IReadOnlyList<int[]> histories)
        {
            if (Interlocked.Increment(ref _starts) == failAt) throw new InvalidOperationException($"start {failAt} fails");
            int live = Interlocked.Increment(ref _live);
            lock (this) MaxLive = Math.Max(MaxLive, live);
            IGenerationState state;
            lock (inner) state = inner.Start(histories); // the stub itself counts its starts unguarded
            if (holdMs > 0) Thread.Sleep(holdMs); // both lanes inside a decoding at once, when they may be
            return new Counted(state, this);
        }

        private sealed class Counted(IGenerationState state, CountingGenerator owner) : IGenerationState
        {
            public Tensor NextLogits(Tensor? tokens) => state.NextLogits(tokens);
            public void Reorder(Tensor rows) => state.Reorder(rows);
            public void Dispose()
            {
                state.Dispose();
                Interlocked.Decrement(ref owner._live);
            }
        }
    }
}
