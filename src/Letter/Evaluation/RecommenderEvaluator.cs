using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Progress;

namespace Letter.Evaluation;

/// <summary>Metrics of one evaluation: both protocols (equal on a collision-free index).</summary>
public sealed record RecommenderEvaluation(
    DataSplit Split,
    int Users,
    int Beam,
    bool IndexHasCollisions,
    IReadOnlyDictionary<string, double> IdentifierMatch,
    IReadOnlyDictionary<string, double> ItemMatch,
    double Seconds,
    Precision Precision = Precision.Fp32,
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

    /// <summary>The recommender's teacher-forced loss of these users' targets, at <see cref="LossTemperature"/>, when it has one.</summary>
    public double? Loss { get; init; }

    public double? LossTemperature { get; init; }

    /// <summary>The temperature the beam scores divided the logits by (1: raw logits).</summary>
    public double DecodeTemperature { get; init; } = 1.0;

    /// <summary>Per identifier level, the share of users whose target was still among the beams.</summary>
    public BeamSurvival? Survival { get; init; }
}

/// <summary>
/// Full-ranking leave-one-out evaluation of any generative recommender. "Identifier match" (the
/// original LETTER protocol) counts a generated identifier equal to the target's as a hit at that
/// beam's rank. "Item match" expands every generated identifier into all the items that share it,
/// most popular in training first, and ranks the target item in that list cut at K.
/// </summary>
public static class RecommenderEvaluator
{
    /// <summary>Ranks of the target under both protocols for one user's beams.</summary>
    public static (int IdentifierRank, int ItemRank) Ranks(IdentifierCatalog catalog, Beam[] beams, int target)
    {
        var targetKey = catalog.KeyOfItem(target);
        int identifierRank = -1, itemRank = -1, position = 0;
        for (int b = 0; b < beams.Length; b++)
        {
            var key = catalog.KeyOf(beams[b]);
            if (identifierRank < 0 && key == targetKey) identifierRank = b;
            foreach (var item in catalog.ItemsOf(key))
            {
                if (itemRank < 0 && item == target) itemRank = position;
                position++;
            }
            if (identifierRank >= 0 && itemRank >= 0) break;
        }
        return (identifierRank, itemRank);
    }

    /// <summary>Evaluates samples (one per user); <paramref name="maxUsers"/> takes a fixed seeded sample.</summary>
    /// <param name="progress">users decoded so far</param>
    /// <param name="userId">the id of a sample's user (default: its number)</param>
    /// <param name="lanes">decoder lanes to spread the batches over (null: the calling thread)</param>
    public static RecommenderEvaluation Evaluate(GenerativeRecommender recommender, IReadOnlyList<Sample> samples, DataSplit split,
        int? maxUsers = null, int seed = 42, int batchUsers = 64, IProgress<ProgressUpdate>? progress = null, CancellationToken cancel = default,
        Func<int, string>? userId = null, DecoderLanes? lanes = null)
    {
        var chosen = SampleUsers(samples, maxUsers, seed);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var kept = new bool[chosen.Count][];
        using var bar = new ProgressTask(progress, $"eval {split.Name()}", chosen.Count);
        var beams = recommender.Decode(chosen.Select(s => s.History).ToList(), batchUsers: batchUsers,
            progress: new ProgressCallback<int>(n => bar.Report(n)), cancel: cancel, targets: chosen.Select(s => s.Target).ToList(), targetKept: kept,
            lanes: lanes);
        bar.Finish();
        var catalog = recommender.Catalog;
        var survival = new BeamSurvival(catalog.Levels);
        var identifier = new RankingMetrics();
        var item = new RankingMetrics();
        var repeats = new TargetRepeats();
        var perUser = new List<UserRank>(chosen.Count);
        for (int i = 0; i < chosen.Count; i++)
        {
            var (ri, rt) = Ranks(catalog, beams[i], chosen[i].Target);
            identifier.Add(ri);
            item.Add(rt);
            repeats.Add(chosen[i], ri);
            survival.Add(kept[i], chosen[i].TargetInHistory);
            perUser.Add(new UserRank(userId?.Invoke(chosen[i].User) ?? chosen[i].User.ToString(), chosen[i].Target, ri, rt, chosen[i].TargetInHistory));
        }
        return new RecommenderEvaluation(split, chosen.Count, recommender.Beam, catalog.HasCollisions,
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

    /// <summary>"fp32" or "bf16", as metrics files and file names spell a precision.</summary>
    public static string Name(this Precision precision) => precision == Precision.Bf16 ? "bf16" : "fp32";

    /// <summary>The metrics file's JSON: identifier match at the top level, the rest beside it.</summary>
    /// <param name="checkpoint">the checkpoint's name as recorded ("best", "last")</param>
    public static string ToJson(RecommenderEvaluation e, string checkpoint = "best")
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
        d["split"] = e.Split.Name();
        d["users"] = e.Users;
        d["beam"] = e.Beam;
        d["decode_temperature"] = e.DecodeTemperature;
        d["precision"] = e.Precision.Name();
        d["checkpoint"] = checkpoint;
        d["seconds"] = Math.Round(e.Seconds, 2);
        d["users_per_second"] = Math.Round(e.UsersPerSecond, 1);
        if (e.RanksFile is not null) d["ranks_file"] = Path.GetFileName(e.RanksFile);
        return JsonSerializer.Serialize(d, LetterJson.Options);
    }

    private static Dictionary<string, object> Group(RankingMetrics m)
    {
        var g = new Dictionary<string, object> { ["users"] = m.Count };
        foreach (var (k, v) in m.ToDictionary()) g[k] = v;
        return g;
    }
}
