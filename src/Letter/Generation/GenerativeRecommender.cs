using static TorchSharp.torch;

namespace Letter.Generation;

/// <summary>One recommended identifier: the items that share it (most popular in training first), its tokens, its log-probability.</summary>
public sealed record Recommendation(int[] Items, string[] Identifier, float Score);

/// <summary>A checked recommendation query (<see cref="GenerativeRecommender.Prepare"/>): the history, k, the beam to search and the item filter (null: any item).</summary>
public sealed record RecommendationQuery(int[] History, int K, int Beam, ItemFilter? Filter);

/// <summary>What one <see cref="GenerativeRecommender.Recommend"/> call may return and how wide it searches.</summary>
/// <param name="Beam">beams to search (default: the recommender's, and never fewer than k)</param>
/// <param name="ExcludeHistory">refuse the items of the history itself</param>
/// <param name="Exclude">further items to refuse</param>
/// <param name="Candidates">when given, only these items may be returned</param>
public sealed record RecommendOptions(int? Beam = null, bool ExcludeHistory = false, IReadOnlyCollection<int>? Exclude = null,
    IReadOnlyCollection<int>? Candidates = null);

/// <summary>
/// A generator and its identifier catalogue, ready to decode: batched constrained beam search over
/// many histories (evaluation) and top-k items for one history (recommend, a service).
/// </summary>
/// <remarks>
/// Thread-safe: <see cref="Decode"/> and <see cref="Recommend"/> may be called from several threads.
/// With a generator that decodes concurrently (<see cref="IIdentifierGenerator.ConcurrentDecoding"/>:
/// TIGER, LC-Rec) calls run at once, each on its caller's thread with that thread's torch threads; with
/// any other, decodings run one at a time and concurrent callers queue. Set <see cref="Beam"/>,
/// <see cref="DecodeTemperature"/> and the generator's switches before sharing the instance.
/// </remarks>
public sealed class GenerativeRecommender : IDisposable
{
    private readonly object _decoding = new();
    private readonly IDisposable? _owned;
    private double _decodeTemperature = 1.0;

    /// <param name="owned">disposed with the recommender (the generator's model), or null</param>
    public GenerativeRecommender(IIdentifierGenerator generator, IdentifierCatalog catalog, IDisposable? owned = null)
    {
        if (generator.VocabularySize != catalog.Trie.VocabularySize)
            throw new ArgumentException($"the generator has {generator.VocabularySize} tokens, the catalogue's trie {catalog.Trie.VocabularySize}");
        Generator = generator;
        Catalog = catalog;
        _owned = owned;
    }

    public IIdentifierGenerator Generator { get; }
    public IdentifierCatalog Catalog { get; }

    /// <summary>Beams searched per history (the paper's 20).</summary>
    public int Beam { get; set; } = 20;

    /// <summary>
    /// Beam scores are log-softmax of logits / this (1, the default: raw logits, as the original's
    /// Hugging Face decoding; the run's tau: the distribution its ranking-guided loss trained).
    /// </summary>
    public double DecodeTemperature
    {
        get => _decodeTemperature;
        set => _decodeTemperature = ConstrainedBeamSearch.CheckTemperature(value);
    }

    public Precision Precision => Generator.Precision;

    /// <summary>A history cut to the generator's window (its most recent items).</summary>
    public int[] Window(int[] history) => history.Length > Generator.MaxHistory ? history[^Generator.MaxHistory..] : history;

    /// <summary>The best identifiers for one history (oldest item first), at most <paramref name="k"/>, their items filtered as asked.</summary>
    public IReadOnlyList<Recommendation> Recommend(int[] history, int k, RecommendOptions? options = null)
    {
        var query = Prepare(history, k, options);
        return Results(query, Decode([query.History], query.Beam, filters: query.Filter is null ? null : [query.Filter])[0]);
    }

    /// <summary>
    /// <see cref="Recommend"/> in two halves for a host that batches many queries into one <see cref="Decode"/>
    /// (a service): the checked query (its history, beam and item filter), then <see cref="Results"/> of its beams.
    /// The beam is the one rule of every host: the asked or the recommender's, never fewer than k, never more
    /// than the catalogue's identifiers (the search keeps no more).
    /// </summary>
    public RecommendationQuery Prepare(int[] history, int k, RecommendOptions? options = null)
    {
        options ??= new RecommendOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        CheckItems(history, nameof(history));
        if (history.Length == 0) throw new ArgumentException("the history is empty", nameof(history));
        if (options.Exclude is not null) CheckItems(options.Exclude, nameof(options.Exclude));
        if (options.Candidates is not null) CheckItems(options.Candidates, nameof(options.Candidates));
        int beam = Math.Min(Math.Max(options.Beam ?? Beam, k), Math.Max(1, Catalog.IdentifierCount));
        return new RecommendationQuery(history, k, beam, FilterFor(history, options));
    }

    /// <summary>The first k identifiers of a query's beams, each with its items that the query's filter allows (at least one: the filter acts inside the search).</summary>
    public IReadOnlyList<Recommendation> Results(RecommendationQuery query, Beam[] beams) =>
        beams.Take(query.K).Select(b => new Recommendation(
            Catalog.ItemsOf(b).Where(i => query.Filter?.Allows(i) ?? true).ToArray(), Catalog.IdentifierOf(b), b.Score)).ToList();

    private static ItemFilter? FilterFor(int[] history, RecommendOptions options)
    {
        IEnumerable<int> exclude = options.Exclude ?? [];
        if (options.ExcludeHistory) exclude = exclude.Concat(history);
        var filter = new ItemFilter(exclude.ToHashSet(), options.Candidates?.ToHashSet());
        return filter.IsEmpty ? null : filter;
    }

    private void CheckItems(IEnumerable<int> items, string what)
    {
        foreach (var item in items)
            if (item < 0 || item >= Catalog.ItemCount)
                throw new ArgumentOutOfRangeException(what, $"item {item} is not in the catalogue ({Catalog.ItemCount} items)");
    }

    /// <summary>Decodes many histories (each cut to the generator's window, grouped by input length, <paramref name="batchUsers"/> at a time), in input order.</summary>
    /// <param name="progress">reports the histories decoded so far, batch by batch</param>
    /// <param name="targets">each history's target item, to follow through the search, or null</param>
    /// <param name="targetKept">with <paramref name="targets"/>: filled per history with whether the target's
    /// first k tokens were still among the beams after step k (k = 1 .. levels + 1)</param>
    /// <param name="filters">per history, the items it may return (null entries: any), or null</param>
    /// <param name="lanes">
    /// decoder lanes to spread the batches over (each lane takes the next batch when it is free; null: every
    /// batch on the calling thread). The batches are the same either way and every lane has the same thread
    /// count, so which lane decodes a batch does not change its numbers. A generator that cannot decode
    /// concurrently uses one lane.
    /// </param>
    /// <param name="profile">when given, the time of each phase is added to it (<see cref="DecodeProfile"/>; without lanes only: it is not thread-safe)</param>
    public List<Beam[]> Decode(IReadOnlyList<int[]> histories, int? beam = null, int batchUsers = 64, IProgress<int>? progress = null,
        CancellationToken cancel = default, IReadOnlyList<int>? targets = null, bool[][]? targetKept = null, IReadOnlyList<ItemFilter?>? filters = null,
        DecoderLanes? lanes = null, DecodeProfile? profile = null)
    {
        long since = System.Diagnostics.Stopwatch.GetTimestamp();
        if ((targets is null) != (targetKept is null) || (targets is not null && (targets.Count != histories.Count || targetKept!.Length != histories.Count)))
            throw new ArgumentException("targets and targetKept go together, one per history");
        if (filters is not null && filters.Count != histories.Count) throw new ArgumentException("filters go one per history");
        if (profile is not null && lanes is not null) throw new ArgumentException("a decode profile times one thread: give it without lanes");
        var windows = histories.Select(Window).ToList();
        var lengths = windows.Select(h => Generator.InputLength(h)).ToList();
        var live = filters?.Select(f => f is null ? null : new NodeLiveness(Catalog, f)).ToList();
        since = profile?.Add("item filters compiled", since) ?? since;
        var result = new Beam[histories.Count][];
        var batches = LengthGroups.Sequential(lengths, batchUsers);
        int width = beam ?? Beam;
        int done = 0;
        void DecodeBatch(int[] batch)
        {
            long since = System.Diagnostics.Stopwatch.GetTimestamp();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            // host data: the search moves it to its logits' device once
            var batchTargets = targets is null ? null
                : tensor(batch.SelectMany(i => Catalog.TokensOfItem(targets[i])).Select(t => (long)t).ToArray(), device: CPU).view(batch.Length, Catalog.Steps);
            var batchKept = targets is null ? null : new bool[batch.Length][];
            var batchLive = live is null ? null : batch.Select(i => live[i]).ToList();
            since = profile?.Add("batch inputs", since) ?? since;
            using var state = Generator.Start(batch.Select(i => windows[i]).ToList());
            since = profile?.Add("encoder (and cross-attention keys, values)", since) ?? since;
            var beams = ConstrainedBeamSearch.Search(state, Catalog.Trie, batch.Length, width, Catalog.Steps, DecodeTemperature,
                batchTargets, batchKept, batchLive, profile);
            since = System.Diagnostics.Stopwatch.GetTimestamp();
            for (int i = 0; i < batch.Length; i++) result[batch[i]] = beams[i];
            if (batchKept is not null) for (int i = 0; i < batch.Length; i++) targetKept![batch[i]] = batchKept[i];
            lock (batches) progress?.Report(done += batch.Length); // in order: lanes finish batches at once
            profile?.Add("results", since);
        }
        if (lanes is null) DecodeHere(batches, DecodeBatch, cancel);
        else DecodeOnLanes(batches, DecodeBatch, lanes, cancel);
        return result.ToList();
    }

    private void DecodeHere(List<int[]> batches, Action<int[]> decode, CancellationToken cancel)
    {
        using var serial = Generator.ConcurrentDecoding ? null : new Serialised(_decoding);
        foreach (var batch in batches)
        {
            cancel.ThrowIfCancellationRequested();
            decode(batch);
        }
    }

    /// <summary>Each lane takes the next batch when free; the first failure stops the others before their next batch and is thrown.</summary>
    private void DecodeOnLanes(List<int[]> batches, Action<int[]> decode, DecoderLanes lanes, CancellationToken cancel)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        int next = -1;
        int count = Generator.ConcurrentDecoding ? Math.Min(lanes.Count, batches.Count) : 1;
        var work = Enumerable.Range(0, count).Select(lane => lanes.Run(lane, () =>
        {
            using var serial = Generator.ConcurrentDecoding ? null : new Serialised(_decoding);
            try
            {
                for (int i; (i = Interlocked.Increment(ref next)) < batches.Count;)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    decode(batches[i]);
                }
            }
            catch
            {
                stop.Cancel();
                throw;
            }
        })).ToArray();
        try { Task.WaitAll(work); }
        catch (AggregateException)
        {
            cancel.ThrowIfCancellationRequested();
            // the lane that failed first, not the others it stopped
            var failed = work.FirstOrDefault(t => t.IsFaulted) ?? work.First(t => t.IsCanceled);
            failed.GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Holds the recommender's decoding lock for a generator that decodes one batch at a time.</summary>
    private sealed class Serialised : IDisposable
    {
        private readonly object _gate;
        public Serialised(object gate)
        {
            _gate = gate;
            Monitor.Enter(_gate);
        }
        public void Dispose() => Monitor.Exit(_gate);
    }

    public void Dispose()
    {
        Catalog.Dispose();
        _owned?.Dispose();
    }
}
