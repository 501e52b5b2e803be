using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Decoding;
using Letter.IO;
using Letter.Progress;
using Letter.Recommender;

namespace Letter.Evaluation;

/// <summary>Metrics of one evaluation: both protocols (equal on a collision-free index).</summary>
public sealed record TigerEvaluation(
    string Split,
    int Users,
    int Beam,
    bool IndexHasCollisions,
    IReadOnlyDictionary<string, double> IdentifierMatch,
    IReadOnlyDictionary<string, double> ItemMatch,
    double Seconds,
    string Precision = "fp32",
    TargetRepeats? Repeats = null,
    IReadOnlyDictionary<string, RankingMetrics>? Baselines = null)
{
    /// <summary>Every user's target and ranks, in the order evaluated (for paired comparisons).</summary>
    public IReadOnlyList<UserRank> PerUser { get; init; } = [];

    public double UsersPerSecond => Seconds > 0 ? Users / Seconds : 0;

    /// <summary>The metrics file written for a run folder's evaluation; null for an in-memory one.</summary>
    public string? MetricsFile { get; init; }

    /// <summary>The per-user ranks file written beside <see cref="MetricsFile"/>.</summary>
    public string? RanksFile { get; init; }

    /// <summary>The ranking-guided loss of these users' targets, teacher-forced (<see cref="TeacherForcedLoss"/>), at <see cref="LossTemperature"/>.</summary>
    public double? Loss { get; init; }

    public double? LossTemperature { get; init; }

    /// <summary>The temperature the beam scores divided the logits by (1: raw logits).</summary>
    public double DecodeTemperature { get; init; } = 1.0;

    /// <summary>Per identifier level, the share of users whose target was still among the beams.</summary>
    public BeamSurvival? Survival { get; init; }
}

/// <summary>
/// Full-ranking leave-one-out evaluation of a TIGER model. "Identifier match" (the original LETTER
/// protocol) counts a generated identifier equal to the target's as a hit at that beam's rank.
/// "Item match" expands every generated identifier into all the items that share it, most popular in
/// training first, and ranks the target item in that list cut at K.
/// </summary>
public static class TigerEvaluator
{
    /// <summary>Ranks of the target under both protocols for one user's beams.</summary>
    public static (int IdentifierRank, int ItemRank) Ranks(TigerRecommender recommender, Beam[] beams, int target)
    {
        var targetKey = recommender.IdentifierKeyOfItem(target);
        int identifierRank = -1, itemRank = -1, position = 0;
        for (int b = 0; b < beams.Length; b++)
        {
            var key = TigerRecommender.Key(beams[b].Tokens.AsSpan(0, recommender.Vocabulary.Levels));
            if (identifierRank < 0 && key == targetKey) identifierRank = b;
            foreach (var item in recommender.ItemsOf(key))
            {
                if (itemRank < 0 && item == target) itemRank = position;
                position++;
            }
            if (identifierRank >= 0 && itemRank >= 0) break;
        }
        return (identifierRank, itemRank);
    }

    /// <summary>Evaluates samples (one per user); <paramref name="maxUsers"/> takes a fixed seeded sample.</summary>
    /// <param name="userId">the id of a sample's user (default: its number)</param>
    public static TigerEvaluation Evaluate(TigerRecommender recommender, IReadOnlyList<Sample> samples, string split,
        int? maxUsers = null, int seed = 42, int batchUsers = 64, bool showProgress = false, CancellationToken cancel = default,
        Func<int, string>? userId = null)
    {
        var chosen = SampleUsers(samples, maxUsers, seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var bar = showProgress ? new ProgressBar($"eval {split}", chosen.Count) : null;
        var kept = new bool[chosen.Count][];
        var beams = recommender.Decode(chosen.Select(s => s.History).ToList(), batchUsers: batchUsers,
            progress: n => bar?.Advance(n), cancel: cancel, targets: chosen.Select(s => s.Target).ToList(), targetKept: kept);
        bar?.Finish();
        var survival = new BeamSurvival(recommender.Vocabulary.Levels);
        var identifier = new RankingMetrics();
        var item = new RankingMetrics();
        var repeats = new TargetRepeats();
        var perUser = new List<UserRank>(chosen.Count);
        for (int i = 0; i < chosen.Count; i++)
        {
            var (ri, rt) = Ranks(recommender, beams[i], chosen[i].Target);
            identifier.Add(ri);
            item.Add(rt);
            repeats.Add(chosen[i], ri);
            survival.Add(kept[i], chosen[i].TargetInHistory);
            perUser.Add(new UserRank(userId?.Invoke(chosen[i].User) ?? chosen[i].User.ToString(), chosen[i].Target, ri, rt, chosen[i].TargetInHistory));
        }
        return new TigerEvaluation(split, chosen.Count, recommender.Beam, recommender.HasCollisions,
            identifier.ToDictionary(), item.ToDictionary(), clock.Elapsed.TotalSeconds, recommender.Precision, repeats)
        { PerUser = perUser, DecodeTemperature = recommender.DecodeTemperature, Survival = survival };
    }

    /// <summary>A fixed sample of samples (seeded), in their original order; all when <paramref name="maxUsers"/> is null or large.</summary>
    public static List<Sample> SampleUsers(IReadOnlyList<Sample> samples, int? maxUsers, int seed)
    {
        if (maxUsers is null || maxUsers.Value <= 0 || maxUsers.Value >= samples.Count) return samples.ToList();
        var order = Enumerable.Range(0, samples.Count).ToList();
        new SplitMix64((ulong)seed ^ 0x5DEECE66DUL).Shuffle(order);
        return order.Take(maxUsers.Value).Order().Select(i => samples[i]).ToList();
    }

    /// <summary>
    /// Evaluates a run folder's checkpoint on "test" or "valid" and writes its metrics to
    /// <paramref name="metricsFile"/>, by default the file <see cref="TigerRunFolder.MetricsFileFor"/> names for these settings.
    /// </summary>
    public static TigerEvaluation Evaluate(string runDirectory, string split = "test", int? maxUsers = null, int? beam = null,
        bool showProgress = false, string checkpoint = "best", bool bf16 = false, int? batchUsers = null, CancellationToken cancel = default, string? metricsFile = null,
        double? decodeTemperature = null, int? threads = null)
    {
        if (split is not ("test" or "valid")) throw new ArgumentException($"split must be test or valid (got {split})");
        var run = new TigerRunFolder(runDirectory);
        var info = run.ReadInfo();
        var dataset = LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
        var users = info.TrainingUsers(dataset);
        var data = LeaveOneOutSplit.Build(users, new SplitOptions(info.Config.MaxHistory));
        TorchRuntime.Prepare(fp32Products: !bf16); // before the model's tensors exist
        using var recommender = TigerRecommender.Load(runDirectory, dataset, checkpoint);
        if (beam is not null) recommender.Beam = beam.Value;
        if (bf16) recommender.UseBf16();
        if (decodeTemperature is double t) recommender.DecodeTemperature = t;
        TorchSharp.torch.set_num_threads(threads ?? info.Config.Threads);
        var all = split == "test" ? data.Test : data.Valid;
        var chosen = SampleUsers(all, maxUsers, info.Config.Seed);
        var result = Evaluate(recommender, chosen, split, null, info.Config.Seed,
            batchUsers ?? info.Config.EvalBatchUsers, showProgress, cancel, u => users[u].UserId);
        // the popularity the recommender ranks shared identifiers by (the run's training users)
        var file = metricsFile ?? run.MetricsFileFor(split, checkpoint, chosen.Count < all.Count ? chosen.Count : null,
            recommender.Beam != info.Config.Beam ? recommender.Beam : null, bf16, recommender.DecodeTemperature);
        var (inputs, targets) = recommender.Vocabulary.EncodeSamples(recommender.Index, chosen);
        double loss = TeacherForcedLoss.Compute(recommender.Model, inputs, targets, info.Config.Temperature, info.Config.BatchSize);
        result = result with
        {
            Baselines = HistoryBaselines.Evaluate(chosen, recommender.Popularity), MetricsFile = file, RanksFile = UserRanksFile.For(file),
            Loss = loss, LossTemperature = info.Config.Temperature,
        };
        UserRanksFile.Write(result.RanksFile, result.PerUser);
        AtomicFile.WriteAllText(file, ToJson(result, checkpoint));
        return result;
    }

    public static string ToJson(TigerEvaluation e, string checkpoint = "best")
    {
        var d = new Dictionary<string, object>();
        foreach (var (k, v) in e.IdentifierMatch) d[k] = v;
        if (e.IndexHasCollisions) d["item_match"] = e.ItemMatch;
        d["protocol"] = e.IndexHasCollisions
            ? "identifier match (a generated identifier equal to the target's is a hit); item_match: identifiers expanded to their items by training popularity, cut at K"
            : "identifier match (collision-free index: equal to item match)";
        if (e.Repeats is { } r)
            d["by_target"] = new Dictionary<string, object>
            {
                ["about"] = "identifier match split by whether the target is already in the history the model reads",
                ["repeat"] = Group(r.Repeat),
                ["new"] = Group(r.New),
            };
        if (e.Survival is { } sv) d["beam_kept"] = sv.ToDictionary();
        if (e.Baselines is { } b)
            d["baselines"] = b.ToDictionary(kv => kv.Key, kv => (object)kv.Value.ToDictionary());
        if (e.Loss is double loss)
        {
            d["loss"] = loss;
            d["loss_about"] = $"teacher-forced ranking-guided loss per target token at tau {e.LossTemperature}, the original's eval loss";
        }
        d["split"] = e.Split;
        d["users"] = e.Users;
        d["beam"] = e.Beam;
        d["decode_temperature"] = e.DecodeTemperature;
        d["precision"] = e.Precision;
        d["checkpoint"] = checkpoint;
        d["seconds"] = Math.Round(e.Seconds, 2);
        d["users_per_second"] = Math.Round(e.UsersPerSecond, 1);
        if (e.RanksFile is not null) d["ranks_file"] = Path.GetFileName(e.RanksFile);
        return JsonSerializer.Serialize(d, TigerRunFolder.Json);
    }

    private static Dictionary<string, object> Group(RankingMetrics m)
    {
        var g = new Dictionary<string, object> { ["users"] = m.Count };
        foreach (var (k, v) in m.ToDictionary()) g[k] = v;
        return g;
    }
}
