using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Formats;
using Letter.IO;
using Letter.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.SasRec;

/// <summary>One epoch of training: mean loss and, when evaluated, validation NDCG@10.</summary>
public sealed record SasRecEpoch(int Epoch, double Loss, double? ValidNdcg10, double Seconds);

/// <summary>What a SASRec run produced: item embeddings [items, d] (row i = item i) and, with evaluation, metrics.</summary>
public sealed record SasRecResult(
    FloatMatrix Embeddings,
    int BestEpoch,
    double BestValidNdcg10,
    IReadOnlyList<SasRecEpoch> History,
    IReadOnlyDictionary<string, double>? Valid,
    IReadOnlyDictionary<string, double>? Test,
    double TrainSeconds,
    int SkippedUsers)
{
    /// <summary>Per-user test ranks (with evaluation), flagged by TIGER's 20-item history window.</summary>
    public IReadOnlyList<UserRank>? TestRanks { get; init; }
    /// <summary>The files the per-user ranks were written to (with evaluation and an output file).</summary>
    public string? TestRanksFile { get; init; }
    public string? ValidRanksFile { get; init; }
}

/// <summary>
/// Trains SASRec on the training prefixes of a dataset, keeps the parameters of the epoch with the
/// best validation NDCG@10 (early stopping), and writes the item embeddings atomically as .npy with
/// the run's config and metrics in <c>FILE.npy.json</c> and the model in <c>FILE.sasrec.bin</c>.
/// </summary>
public static class SasRecTrainer
{
    /// <param name="device">where the model, its optimizer state and every batch live (the CPU by default)</param>
    public static SasRecResult Train(LetterDataset dataset, SasRecConfig config, string? outFile, bool evaluateTest = false, CancellationToken cancel = default,
        IProgress<ProgressUpdate>? progress = null, ComputeDevice device = default) =>
        Train(dataset.Users, dataset.ItemCount, config, outFile, evaluateTest, dataset.Folder.Directory, cancel, progress, device);

    public static SasRecResult Train(IReadOnlyList<UserSequence> users, int itemCount, SasRecConfig config, string? outFile,
        bool evaluateTest = false, string? datasetLabel = null, CancellationToken cancel = default, IProgress<ProgressUpdate>? progress = null,
        ComputeDevice device = default)
    {
        config.Validate();
        if (outFile is not null) OutputPath.RequireFile(outFile, "the embedding file");
        using var seed = new TorchSeed(config.Seed);
        var rng = new SplitMix64((ulong)config.Seed);
        var data = SasRecData.Build(users, config.MaxLen);
        if (data.Train.Count == 0)
            throw new ArgumentException("no user has a training prefix of two items (SASRec needs users with at least four items)");
        var userItems = config.Loss == SasRecLoss.BinaryCrossEntropy ? users.Select(u => u.Items.ToHashSet()).ToArray() : null;

        using var model = new SasRecModel(itemCount, config, device); // the optimizer's state follows its parameters there
        var optimizer = optim.Adam(model.parameters(), lr: config.LearningRate, beta1: 0.9, beta2: 0.98, weight_decay: config.WeightDecay);
        var history = new List<SasRecEpoch>();
        Dictionary<string, Tensor>? best = null;
        double bestNdcg = double.NegativeInfinity;
        int bestEpoch = 0, sinceBest = 0;
        var clock = Stopwatch.StartNew();
        var order = Enumerable.Range(0, data.Train.Count).ToArray();
        int stepsPerEpoch = (order.Length + config.BatchSize - 1) / config.BatchSize;
        using var bar = new ProgressTask(progress, "sasrec", (long)config.Epochs * stepsPerEpoch);
        for (int epoch = 1; epoch <= config.Epochs; epoch++)
        {
            var epochClock = Stopwatch.StartNew();
            model.train();
            rng.Shuffle(order);
            double lossSum = 0;
            for (int start = 0; start < order.Length; start += config.BatchSize)
            {
                cancel.ThrowIfCancellationRequested();
                var batch = order.Skip(start).Take(config.BatchSize).Select(i => data.Train[i]).ToList();
                try
                {
                    lossSum += Step(model, optimizer, batch, config, rng, userItems, itemCount);
                }
                catch (TrainingDivergedException e)
                {
                    throw new TrainingDivergedException(
                        $"SASRec training stopped in epoch {epoch}, step {start / config.BatchSize + 1} of {stepsPerEpoch} (learning rate {config.LearningRate:G3}): " +
                        $"{e.Message}; nothing was written (an earlier output is left as it was). A lower learning rate usually avoids this");
                }
                bar.Advance(1, string.Create(CultureInfo.InvariantCulture, $"epoch {epoch} loss {lossSum / (start / config.BatchSize + 1):0.0000} best N@10 {(best is null ? 0 : bestNdcg):0.0000}"));
            }
            var valid = SasRecEvaluator.Evaluate(model, data.Valid, cancel: cancel).Ndcg(10);
            history.Add(new SasRecEpoch(epoch, lossSum / stepsPerEpoch, valid, epochClock.Elapsed.TotalSeconds));
            if (valid > bestNdcg)
            {
                bestNdcg = valid;
                bestEpoch = epoch;
                sinceBest = 0;
                DisposeAll(best);
                best = Snapshot(model);
            }
            else if (config.Patience > 0 && ++sinceBest >= config.Patience)
            {
                break;
            }
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;
        var summary = string.Create(CultureInfo.InvariantCulture, $"best epoch {bestEpoch}, valid N@10 {bestNdcg:0.0000}");
        if (history.Count < config.Epochs) bar.Stop($"early stop at epoch {history.Count}, {summary}");
        else bar.Finish(summary);
        Restore(model, best!);
        DisposeAll(best);

        IReadOnlyDictionary<string, double>? validMetrics = null, testMetrics = null;
        List<UserRank>? validRanks = null, testRanks = null;
        if (evaluateTest)
        {
            int window = new SplitOptions().MaxHistory;
            validRanks = SasRecEvaluator.UserRanks(model, data.Valid, users, 2, window, cancel);
            testRanks = SasRecEvaluator.UserRanks(model, data.Test, users, 1, window, cancel);
            validMetrics = Metrics(validRanks).ToDictionary();
            testMetrics = Metrics(testRanks).ToDictionary();
        }
        var embeddings = Embeddings(model);
        var result = new SasRecResult(embeddings, bestEpoch, bestNdcg, history, validMetrics, testMetrics, trainSeconds, data.SkippedUsers) { TestRanks = testRanks };
        if (outFile is not null)
        {
            if (validRanks is not null && testRanks is not null)
            {
                result = result with { ValidRanksFile = RanksFile(outFile, "valid"), TestRanksFile = RanksFile(outFile, "test") };
                UserRanksFile.Write(result.ValidRanksFile, validRanks);
                UserRanksFile.Write(result.TestRanksFile, testRanks);
            }
            NpyFile.Write(outFile, embeddings);
            SaveCheckpoint(model, CheckpointPath(outFile));
            AtomicFile.WriteAllText(outFile + ".json", RunJson(config, result, itemCount, users.Count, datasetLabel));
        }
        return result;
    }

    /// <summary>FILE.npy -> FILE.ranks-test.tsv: the per-user ranks of an evaluated run, for <c>letter compare</c>.</summary>
    public static string RanksFile(string outFile, string split) => Path.ChangeExtension(outFile, $".ranks-{split}.tsv");

    private static RankingMetrics Metrics(IEnumerable<UserRank> ranks)
    {
        var m = new RankingMetrics();
        foreach (var r in ranks) m.Add(r.IdentifierRank);
        return m;
    }

    /// <summary>Where <see cref="Train(LetterDataset, SasRecConfig, string?, bool, CancellationToken)"/> puts the model beside FILE.npy.</summary>
    public static string CheckpointPath(string outFile) => Path.ChangeExtension(outFile, ".sasrec.bin");

    /// <summary>Item embeddings [items, d] of a model saved by a training run (row i = item i).</summary>
    public static FloatMatrix EmbeddingsFromCheckpoint(string checkpoint, int itemCount, SasRecConfig config)
    {
        if (!File.Exists(checkpoint)) throw new LetterDataException(checkpoint, null, "file not found");
        using var model = new SasRecModel(itemCount, config);
        try { model.load(checkpoint); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or EndOfStreamException)
        {
            throw new LetterDataException(checkpoint, null, $"not a SASRec model for {itemCount} items with dim {config.Dim}, {config.Blocks} blocks and max length {config.MaxLen}: {e.Message}");
        }
        return Embeddings(model);
    }

    internal static FloatMatrix Embeddings(SasRecModel model)
    {
        using var scope = NewDisposeScope();
        var w = model.ItemWeights.detach().cpu().contiguous();
        return new FloatMatrix(w.data<float>().ToArray(), (int)w.shape[0], (int)w.shape[1]);
    }

    private static void SaveCheckpoint(SasRecModel model, string path) =>
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            model.save(writer);
        });

    /// <summary>Largest score block allocated at once (see <see cref="Step"/>); tests lower it to force several blocks.</summary>
    internal static long ChunkBytes { get; set; } = 16L << 20;

    /// <summary>One optimisation step on a batch; returns the loss.</summary>
    private static double Step(SasRecModel model, optim.Optimizer optimizer, List<UserSequenceExample> batch, SasRecConfig config,
        SplitMix64 rng, HashSet<int>[]? userItems, int itemCount)
    {
        using var scope = NewDisposeScope();
        var hidden = model.call(SequenceBatch.Inputs(batch.Select(x => x.Input).ToList(), model.Device)); // [B, L, d]
        var (positions, targets) = SequenceBatch.Aligned(batch);
        var h = hidden.reshape(-1, hidden.shape[2]).index_select(0, tensor(positions, device: model.Device)); // [M, d]
        var target = tensor(targets, device: model.Device);                                        // [M]
        Tensor loss;
        if (config.Loss == SasRecLoss.CrossEntropy)
        {
            // Logits [M, items] in row chunks of at most 16 MB: glibc serves larger blocks with fresh
            // mmaps, and page-faulting ~100 MB of logits per step made Yelp steps 10x slower.
            long m = h.shape[0], rows = Math.Max(1, ChunkBytes / (4L * itemCount));
            Tensor? sum = null;
            for (long s = 0; s < m; s += rows)
            {
                long n = Math.Min(rows, m - s);
                var part = nn.functional.cross_entropy(model.Score(h.narrow(0, s, n)), target.narrow(0, s, n), reduction: nn.Reduction.Sum);
                sum = sum is null ? part : sum.Plus(part);
            }
            loss = sum!.DividedBy(m);
        }
        else
        {
            var negatives = new long[targets.Length];
            int m = 0;
            foreach (var x in batch)
                for (int t = 0; t < x.Targets.Length; t++)
                {
                    int sample;
                    do sample = rng.Next(itemCount); while (userItems![x.User].Contains(sample) && userItems[x.User].Count < itemCount);
                    negatives[m++] = sample;
                }
            var w = model.ItemWeights;
            var pos = (h * w.index_select(0, target)).sum(1);                                      // [M]
            var neg = (h * w.index_select(0, tensor(negatives, device: model.Device))).sum(1);
            loss = nn.functional.binary_cross_entropy_with_logits(pos, ones_like(pos))
                 .Plus(nn.functional.binary_cross_entropy_with_logits(neg, zeros_like(neg)));
        }
        double value = loss.item<float>();
        // checked before the step, so the weights (and the best epoch's snapshot) stay finite
        TrainingDivergedException.ThrowIfNotFinite(value, "the loss");
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        return value;
    }

    private static Dictionary<string, Tensor> Snapshot(SasRecModel model)
    {
        var copy = new Dictionary<string, Tensor>();
        foreach (var (name, t) in model.state_dict()) copy[name] = t.detach().clone().DetachFromDisposeScope();
        return copy;
    }

    private static void Restore(SasRecModel model, Dictionary<string, Tensor> state)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in model.state_dict()) t.copy_(state[name]);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? state)
    {
        if (state is null) return;
        foreach (var t in state.Values) t.Dispose();
    }

    private static string RunJson(SasRecConfig config, SasRecResult result, int itemCount, int userCount, string? dataset)
    {
        var json = new
        {
            command = "cf",
            model = "SASRec",
            dataset = dataset is null ? null : Path.GetFullPath(dataset),
            items = itemCount,
            users = userCount,
            skipped_users = result.SkippedUsers,
            config = LetterJson.Node(config),
            best_epoch = result.BestEpoch,
            best_valid_ndcg10 = result.BestValidNdcg10,
            epochs_run = result.History.Count,
            train_seconds = Math.Round(result.TrainSeconds, 1),
            valid = result.Valid,
            test = result.Test,
            history = result.History.Select(e => new { epoch = e.Epoch, loss = e.Loss, valid_ndcg10 = e.ValidNdcg10, seconds = Math.Round(e.Seconds, 2) }),
            created_utc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        };
        return JsonSerializer.Serialize(json, LetterJson.Options) + "\n";
    }
}
