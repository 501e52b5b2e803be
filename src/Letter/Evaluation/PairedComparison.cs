using Letter.IO;

namespace Letter.Evaluation;

/// <summary>
/// One metric of a paired comparison: both means, the mean per-user difference B - A with its
/// standard error, and a two-sided p-value (Recall: exact McNemar test on the users that only one
/// evaluation hits; NDCG: normal approximation of the paired mean).
/// </summary>
public sealed record PairedMetric(string Name, double MeanA, double MeanB, double Difference, double StandardError, double PValue,
    int? OnlyA = null, int? OnlyB = null)
{
    public double Low95 => Difference - 1.96 * StandardError;
    public double High95 => Difference + 1.96 * StandardError;
}

/// <summary>
/// Compares two evaluations of the same users (same split, same users, same targets) user by user.
/// Two models' hits are strongly correlated, so the paired standard error is much smaller than the
/// unpaired one a comparison of two metrics.json files would imply.
/// </summary>
public sealed record PairedComparison(int Users, bool ItemMatch, IReadOnlyList<PairedMetric> Metrics)
{
    public static PairedComparison Compare(IReadOnlyList<UserRank> a, IReadOnlyList<UserRank> b, string fileA, string fileB, bool itemMatch = false) =>
        Of(Pair(a, b, fileA, fileB), itemMatch);

    /// <summary>
    /// The comparison of all users, and the same within two groups: those whose target is already in
    /// the history the model read (a copy would hit it) and the others. A group with no users has no metrics.
    /// </summary>
    public static (PairedComparison All, PairedComparison Repeat, PairedComparison New) CompareByTarget(IReadOnlyList<UserRank> a, IReadOnlyList<UserRank> b,
        string fileA, string fileB, bool itemMatch = false)
    {
        var pairs = Pair(a, b, fileA, fileB);
        foreach (var (ra, rb) in pairs)
        {
            if (ra.TargetInHistory is null) throw NoRepeatColumn(fileA);
            if (rb.TargetInHistory is null) throw NoRepeatColumn(fileB);
            if (ra.TargetInHistory != rb.TargetInHistory)
                throw new LetterDataException(fileB, $"user {rb.Named}", $"has target_in_history {(rb.TargetInHistory.Value ? 1 : 0)} here and {(ra.TargetInHistory.Value ? 1 : 0)} in {fileA}: not the same histories");
        }
        return (Of(pairs, itemMatch), Of(pairs.Where(p => p.A.TargetInHistory == true).ToList(), itemMatch),
            Of(pairs.Where(p => p.A.TargetInHistory == false).ToList(), itemMatch));
    }

    private static LetterDataException NoRepeatColumn(string file) =>
        new(file, null, "does not record whether each target is in the user's history (written before Letter did): evaluate the run again to compare by target");

    /// <summary>
    /// Each user of B with the same user of A, after checking that both cover the same users and targets.
    /// Users pair by their dense ids, which every ranks file holds; where both files also hold the
    /// dataset's own ids, those must agree too (the same dataset, not two imports of it numbered alike).
    /// </summary>
    public static List<(UserRank A, UserRank B)> Pair(IReadOnlyList<UserRank> a, IReadOnlyList<UserRank> b, string fileA, string fileB)
    {
        if (a.Count == 0) throw new LetterDataException(fileA, null, "holds no users");
        var byUser = new Dictionary<string, UserRank>(a.Count);
        foreach (var r in a)
            if (!byUser.TryAdd(r.UserId, r)) throw new LetterDataException(fileA, $"user {r.Named}", "appears twice");
        if (b.Count != a.Count)
            throw new LetterDataException(fileB, null, $"has {b.Count} users and {fileA} has {a.Count}: compare evaluations of the same users (the same split and the same user sample)");
        var pairs = new List<(UserRank A, UserRank B)>(a.Count);
        var seen = new HashSet<string>();
        foreach (var r in b)
        {
            if (!seen.Add(r.UserId)) throw new LetterDataException(fileB, $"user {r.Named}", "appears twice");
            if (!byUser.TryGetValue(r.UserId, out var ra))
                throw new LetterDataException(fileB, $"user {r.Named}", $"is not in {fileA}: compare evaluations of the same users (the same split and the same user sample)");
            if (ra.Target != r.Target)
                throw new LetterDataException(fileB, $"user {r.Named}", $"has target {r.Target} here and {ra.Target} in {fileA}: not the same split or dataset");
            if (ra.DatasetUserId is not null && r.DatasetUserId is not null && ra.DatasetUserId != r.DatasetUserId)
                throw new LetterDataException(fileB, $"user {r.Named}", $"is user {Quoted.Quote(ra.DatasetUserId)} in {fileA}: not the same dataset");
            if (ra.DatasetTargetId is not null && r.DatasetTargetId is not null && ra.DatasetTargetId != r.DatasetTargetId)
                throw new LetterDataException(fileB, $"user {r.Named}", $"has target {Quoted.Quote(r.DatasetTargetId)} here and {Quoted.Quote(ra.DatasetTargetId)} in {fileA}: not the same dataset");
            pairs.Add((ra, r));
        }
        return pairs;
    }

    private static PairedComparison Of(List<(UserRank A, UserRank B)> users, bool itemMatch)
    {
        var metrics = new List<PairedMetric>();
        if (users.Count > 0)
        {
            var pairs = users.Select(p => itemMatch ? (p.A.ItemRank, p.B.ItemRank) : (p.A.IdentifierRank, p.B.IdentifierRank)).ToList();
            foreach (var k in RankingMetrics.DefaultRecallKs)
                metrics.Add(Metric($"recall@{k}", pairs, rank => RankingMetrics.RecallGain(rank, k), recall: true));
            foreach (var k in RankingMetrics.DefaultNdcgKs)
                metrics.Add(Metric($"ndcg@{k}", pairs, rank => RankingMetrics.NdcgGain(rank, k), recall: false));
        }
        return new PairedComparison(users.Count, itemMatch, metrics);
    }

    private static PairedMetric Metric(string name, List<(int A, int B)> pairs, Func<int, double> gain, bool recall)
    {
        int n = pairs.Count, onlyA = 0, onlyB = 0;
        double sumA = 0, sumB = 0, sumD = 0, sumD2 = 0;
        foreach (var (ra, rb) in pairs)
        {
            double ga = gain(ra), gb = gain(rb), d = gb - ga;
            sumA += ga;
            sumB += gb;
            sumD += d;
            sumD2 += d * d;
            if (ga > 0 && gb == 0) onlyA++;
            if (gb > 0 && ga == 0) onlyB++;
        }
        double mean = sumD / n;
        double variance = n > 1 ? Math.Max(0, (sumD2 - n * mean * mean) / (n - 1)) : 0;
        double se = Math.Sqrt(variance / n);
        double p = recall ? McNemarExact(onlyA, onlyB) : se > 0 ? Erfc(Math.Abs(mean / se) / Math.Sqrt(2)) : mean == 0 ? 1 : 0;
        return new PairedMetric(name, sumA / n, sumB / n, mean, se, p, recall ? onlyA : null, recall ? onlyB : null);
    }

    /// <summary>Two-sided exact McNemar p-value: 2 P(X &lt;= min(b, c)) for X ~ Binomial(b + c, 1/2), at most 1.</summary>
    public static double McNemarExact(int b, int c)
    {
        int n = b + c, m = Math.Min(b, c);
        if (n == 0) return 1;
        // log P(X = k) by the ratio of successive binomial terms, summed in log space (n can be thousands)
        double logTerm = -n * Math.Log(2), logSum = logTerm;
        for (int k = 0; k < m; k++)
        {
            logTerm += Math.Log(n - k) - Math.Log(k + 1);
            double hi = Math.Max(logSum, logTerm);
            logSum = hi + Math.Log(Math.Exp(logSum - hi) + Math.Exp(logTerm - hi));
        }
        return Math.Min(1, 2 * Math.Exp(logSum));
    }

    /// <summary>The complementary error function (Numerical Recipes' Chebyshev fit, relative error below 1.2e-7).</summary>
    public static double Erfc(double x)
    {
        double z = Math.Abs(x), t = 1 / (1 + 0.5 * z);
        double r = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? r : 2 - r;
    }
}
