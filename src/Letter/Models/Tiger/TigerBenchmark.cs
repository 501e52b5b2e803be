using System.Diagnostics;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>Timings of the training step and of constrained beam search on random histories of real identifiers.</summary>
public static class TigerBenchmark
{
    public sealed record StepTiming(int Batch, int HistoryItems, int InputLength, double MedianSeconds, double MinSeconds, double FirstLoss, double LastLoss);
    public sealed record BeamTiming(int Users, int Beam, int HistoryItems, int BatchUsers, string Precision, double MedianSeconds, double UsersPerSecond, long PeakRssMb);

    public sealed record TrieTiming(int Items, int Identifiers, int Nodes, int Vocabulary, double MedianBuildSeconds, double MinBuildSeconds,
        long AllocatedBytes, long RetainedBytes, long RssGrowthMb, long PeakRssMb);

    /// <summary>
    /// Builds the prefix trie of an index's distinct identifiers (as <see cref="TigerRecommender"/> does)
    /// <paramref name="repeats"/> times: build seconds; for the first build (nothing freed yet to reuse)
    /// the managed bytes it allocated, the managed bytes it still holds after a full collection, and the
    /// resident memory it added (native tensors included); then the process's peak resident memory.
    /// </summary>
    public static TrieTiming Trie(ItemIndex index, TigerConfig config, int repeats = 3)
    {
        var vocabulary = TigerVocabulary.For(index, config.TextTokens);
        var identifiers = new Dictionary<string, int>();
        for (int i = 0; i < index.ItemCount; i++) identifiers.TryAdd(string.Join(',', index.Codes[i]), i);
        var sequences = identifiers.Values.Select(i => vocabulary.EncodeTarget(index, i)).ToList();
        identifiers = null;
        var times = new List<double>();
        long allocated = 0, retained = 0, rss = 0;
        int nodes = 0;
        for (int r = 0; r < repeats; r++)
        {
            long heapBefore = GC.GetTotalMemory(forceFullCollection: true), rssBefore = RssMb();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            var trie = new Generation.PrefixTrie(sequences, vocabulary.Size);
            times.Add(clock.Elapsed.TotalSeconds);
            if (r == 0)
            {
                allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
                rss = RssMb() - rssBefore;
                retained = GC.GetTotalMemory(forceFullCollection: true) - heapBefore;
            }
            nodes = trie.NodeCount;
            trie.Dispose();
            GC.KeepAlive(trie);
        }
        times.Sort();
        return new TrieTiming(index.ItemCount, sequences.Count, nodes, vocabulary.Size, times[times.Count / 2], times[0], allocated, retained, rss, PeakRssMb());
    }

    public static StepTiming TrainStep(ItemIndex index, TigerConfig config, int historyItems, int steps = 10, int warmup = 2)
    {
        var (model, optimizer, inputs, targets, batch) = StepSetup(index, config, historyItems);
        using var _ = model;
        var times = new List<double>();
        double first = 0, last = 0;
        for (int s = 0; s < warmup + steps; s++)
        {
            var clock = Stopwatch.StartNew();
            last = TigerTrainer.Step(model, optimizer, inputs, targets, [batch], config, config.LearningRate, s);
            if (s == 0) first = last;
            if (s >= warmup) times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        return new StepTiming(config.BatchSize, historyItems, inputs[0].Length, times[times.Count / 2], times[0], first, last);
    }

    /// <summary>Median seconds of forward, backward and optimizer (with clipping) over a few steps.</summary>
    public static (double Forward, double Backward, double Optimizer) StepBreakdown(ItemIndex index, TigerConfig config, int historyItems, int steps = 4)
    {
        var (model, optimizer, inputs, targets, batch) = StepSetup(index, config, historyItems);
        using var _ = model;
        var f = new List<double>(); var b = new List<double>(); var o = new List<double>();
        for (int s = 0; s < steps + 1; s++)
        {
            using var scope = NewDisposeScope();
            model.train();
            var ids = TigerBatch.Stack(inputs, batch, model.Device);
            var labels = TigerBatch.Stack(targets, batch, model.Device);
            optimizer.zero_grad();
            var c = Stopwatch.StartNew();
            var loss = RankingGuidedLoss.Compute(model.Logits(ids, labels), labels, config.Temperature);
            loss.item<float>();
            double tf = c.Elapsed.TotalSeconds; c.Restart();
            loss.backward();
            double tb = c.Elapsed.TotalSeconds; c.Restart();
            nn.utils.clip_grad_norm_(model.parameters(), config.GradientClip);
            optimizer.step();
            double to = c.Elapsed.TotalSeconds;
            if (s > 0) { f.Add(tf); b.Add(tb); o.Add(to); }
        }
        return (f.Order().ElementAt(f.Count / 2), b.Order().ElementAt(b.Count / 2), o.Order().ElementAt(o.Count / 2));
    }

    /// <summary>A seeded model, its optimizer and one random batch of the given history length: what both step benchmarks time.</summary>
    private static (TigerModel Model, TorchSharp.Modules.OptimizerHelper Optimizer, List<int[]> Inputs, List<int[]> Targets, int[] Batch) StepSetup(
        ItemIndex index, TigerConfig config, int historyItems)
    {
        var vocabulary = TigerVocabulary.For(index, config.TextTokens);
        using var seed = new TorchSeed(config.Seed);
        var model = new TigerModel(config, vocabulary.Size);
        var optimizer = TigerOptimizer.Create(model, config);
        var (inputs, targets) = RandomSamples(index, vocabulary, config.BatchSize, historyItems, config.Seed);
        return (model, optimizer, inputs, targets, Enumerable.Range(0, config.BatchSize).ToArray());
    }

    public static BeamTiming Beam(ItemIndex index, TigerConfig config, int users, int historyItems, int repeats = 3, bool bf16 = false)
    {
        var vocabulary = TigerVocabulary.For(index, config.TextTokens);
        using var seed = new TorchSeed(config.Seed);
        var model = new TigerModel(config, vocabulary.Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], config.Beam, ownsModel: true);
        if (bf16) recommender.Tiger().UseBf16();
        var rng = new Common.SplitMix64((ulong)config.Seed);
        var histories = Enumerable.Range(0, users).Select(_ => Enumerable.Range(0, historyItems).Select(_ => rng.Next(index.ItemCount)).ToArray()).ToList();
        var times = new List<double>();
        for (int r = 0; r <= repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            recommender.Decode(histories, batchUsers: config.EvalBatchUsers);
            if (r > 0) times.Add(clock.Elapsed.TotalSeconds);
        }
        times.Sort();
        double median = times[times.Count / 2];
        return new BeamTiming(users, config.Beam, historyItems, config.EvalBatchUsers, recommender.Precision.Name(), median, users / median, PeakRssMb());
    }

    private static (List<int[]> Inputs, List<int[]> Targets) RandomSamples(ItemIndex index, TigerVocabulary vocabulary, int count, int historyItems, int seed)
    {
        var rng = new Common.SplitMix64((ulong)seed + 7);
        var inputs = new List<int[]>();
        var targets = new List<int[]>();
        for (int i = 0; i < count; i++)
        {
            var h = Enumerable.Range(0, historyItems).Select(_ => rng.Next(index.ItemCount)).ToArray();
            inputs.Add(vocabulary.EncodeHistory(index, h));
            targets.Add(vocabulary.EncodeTarget(index, rng.Next(index.ItemCount)));
        }
        return (inputs, targets);
    }

    public static long PeakRssMb() => ProcessMemory.PeakRssMb();

    private static long RssMb() => ProcessMemory.RssMb();

    /// <summary>Runs the measurements of a <c>--benchmark</c> spec (step:20,7, parts:N, beam:USERS:HISTORY[:BATCH_USERS][:bf16], trie), one JSON line each.</summary>
    internal static void Run(string spec, ItemIndex index, TigerConfig config, TextWriter output, Action<RuntimeOptions>? applyRuntime)
    {
        var opts = System.Text.Json.JsonSerializerOptions.Default;
        foreach (var part in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = part.Split(':');
            if (f[0] == "step" && f.Length == 2)
                foreach (var h in f[1].Split(',').Select(int.Parse))
                    output.WriteLine(System.Text.Json.JsonSerializer.Serialize(TrainStep(index, config, h), opts));
            else if (f[0] == "parts" && f.Length == 2)
                output.WriteLine(StepBreakdown(index, config, int.Parse(f[1])));
            else if (f[0] == "beam" && f.Length >= 3 && f.Skip(3).All(x => x == "bf16" || int.TryParse(x, out _)))
            {
                // beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]
                bool bf16 = f.Skip(3).Contains("bf16");
                applyRuntime?.Invoke(new RuntimeOptions(config.Threads, Fp32Products: !bf16));
                int batchUsers = f.Skip(3).Where(x => x != "bf16").Select(int.Parse).DefaultIfEmpty(config.EvalBatchUsers).First();
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(Beam(index, config with { EvalBatchUsers = batchUsers }, int.Parse(f[1]), int.Parse(f[2]), bf16: bf16), opts));
            }
            else if (f[0] == "trie" && f.Length == 1)
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(Trie(index, config), opts));
            else throw new ArgumentException($"--benchmark: cannot read '{part}' (use step:20,7 or beam:256:7, beam:256:7:128:bf16, or trie)");
        }
    }
}
