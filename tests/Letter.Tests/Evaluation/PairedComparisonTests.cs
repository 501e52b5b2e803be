using Letter.Data;
using System.Numerics;
using Letter.Evaluation;
using Letter.IO;

namespace Letter.Tests.Evaluation;

public class PairedComparisonTests
{
    private static List<UserRank> Ranks(params int[] ranks) =>
        ranks.Select((r, u) => new UserRank($"u{u}", 100 + u, r, r)).ToList();

    [Fact]
    public void Differences_standard_errors_and_discordant_counts_match_a_hand_worked_pairing()
    {
        // 0-based ranks of five users' targets; -1: not in the list
        var a = Ranks(0, -1, 3, 12, 1);
        var b = Ranks(0, 2, -1, 4, -1);
        var c = PairedComparison.Compare(a, b, "a.tsv", "b.tsv");
        Assert.Equal(5, c.Users);
        var m = c.Metrics.ToDictionary(x => x.Name);

        // recall@5: A hits users 0, 2, 4; B hits 0, 1, 3. d = (0, 1, -1, 1, -1): mean 0, sample variance 1
        var r5 = m["recall@5"];
        Assert.Equal(0.6, r5.MeanA, 12);
        Assert.Equal(0.6, r5.MeanB, 12);
        Assert.Equal(0, r5.Difference, 12);
        Assert.Equal(Math.Sqrt(1.0 / 5), r5.StandardError, 12);
        Assert.Equal((2, 2), (r5.OnlyA, r5.OnlyB));
        Assert.Equal(1, r5.PValue); // 2 P(X <= 2 | n = 4) = 22/16, capped

        // recall@1: both hit user 0 only
        Assert.Equal((0.2, 0.2, 0.0, 0.0, 1.0), (m["recall@1"].MeanA, m["recall@1"].MeanB, m["recall@1"].Difference, m["recall@1"].StandardError, m["recall@1"].PValue));

        // ndcg@10: gains 1/log2(rank + 2) below rank 10
        double G(int r) => r is >= 0 and < 10 ? 1 / Math.Log2(r + 2) : 0;
        var d = new[] { 0, 2, -1, 4, -1 }.Zip(new[] { 0, -1, 3, 12, 1 }, (rb, ra) => G(rb) - G(ra)).ToArray();
        double mean = d.Average(), sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / 4);
        var n10 = m["ndcg@10"];
        Assert.Equal(mean, n10.Difference, 12);
        Assert.Equal(sd / Math.Sqrt(5), n10.StandardError, 12);
        Assert.Equal(PairedComparison.Erfc(Math.Abs(mean / (sd / Math.Sqrt(5))) / Math.Sqrt(2)), n10.PValue, 12);
        Assert.Null(n10.OnlyA);
        Assert.Equal(n10.Difference - 1.96 * n10.StandardError, n10.Low95, 12);
    }

    [Fact]
    public void Users_are_paired_by_id_not_by_position_and_item_match_uses_the_item_ranks()
    {
        var a = new List<UserRank> { new("x", 1, 0, 5), new("y", 2, -1, -1) };
        var b = new List<UserRank> { new("y", 2, 0, 0), new("x", 1, 0, 0) };
        var identifier = PairedComparison.Compare(a, b, "a", "b").Metrics.Single(x => x.Name == "recall@1");
        Assert.Equal((0.5, 1.0, 0, 1), (identifier.MeanA, identifier.MeanB, identifier.OnlyA!.Value, identifier.OnlyB!.Value));
        var item = PairedComparison.Compare(a, b, "a", "b", itemMatch: true).Metrics.Single(x => x.Name == "recall@1");
        Assert.Equal((0.0, 1.0, 0, 2), (item.MeanA, item.MeanB, item.OnlyA!.Value, item.OnlyB!.Value));
    }

    [Fact]
    public void Comparing_by_target_splits_the_users_by_whether_their_target_was_in_the_history()
    {
        // users 0-1 go back to an item of their history, users 2-4 do not (0-based ranks, -1: not ranked)
        bool[] repeat = [true, true, false, false, false];
        List<UserRank> With(params int[] ranks) => ranks.Select((r, u) => new UserRank($"u{u}", 100 + u, r, r, repeat[u])).ToList();
        var a = With(-1, 4, 0, 2, -1);
        var b = With(0, 1, 0, -1, 3);
        var (whole, rep, nu) = PairedComparison.CompareByTarget(a, b, "a.tsv", "b.tsv");
        Assert.Equal(PairedComparison.Compare(a, b, "a.tsv", "b.tsv").Metrics, whole.Metrics);
        Assert.Equal((2, 3), (rep.Users, nu.Users));
        var r = rep.Metrics.Single(m => m.Name == "recall@1");
        Assert.Equal((0.0, 0.5, 0.5, 0, 1), (r.MeanA, r.MeanB, r.Difference, r.OnlyA!.Value, r.OnlyB!.Value));
        var r5 = nu.Metrics.Single(m => m.Name == "recall@5");
        Assert.Equal(2.0 / 3, r5.MeanA, 12); // users 2 and 3
        Assert.Equal(2.0 / 3, r5.MeanB, 12); // users 2 and 4
        Assert.Equal((1, 1), (r5.OnlyA!.Value, r5.OnlyB!.Value));
        // the groups together are the whole comparison
        var all = PairedComparison.Compare(a, b, "a.tsv", "b.tsv").Metrics.Single(m => m.Name == "ndcg@10");
        var (gr, gn) = (rep.Metrics.Single(m => m.Name == "ndcg@10"), nu.Metrics.Single(m => m.Name == "ndcg@10"));
        Assert.Equal(all.Difference, (2 * gr.Difference + 3 * gn.Difference) / 5, 12);

        // no repeat users (as on Instruments): an empty group without metrics
        var none = PairedComparison.CompareByTarget(Ranks(0, 1).Select(x => x with { TargetInHistory = false }).ToList(),
            Ranks(1, 0).Select(x => x with { TargetInHistory = false }).ToList(), "a.tsv", "b.tsv");
        Assert.Equal((0, 2), (none.Repeat.Users, none.New.Users));
        Assert.Empty(none.Repeat.Metrics);

        // a file written before the column existed, or histories that disagree, are named
        var e = Assert.Throws<LetterDataException>(() => PairedComparison.CompareByTarget(a, Ranks(0, 1, 0, -1, 3), "a.tsv", "old.tsv"));
        Assert.Equal("old.tsv: does not record whether each target is in the user's history (written before Letter did): evaluate the run again to compare by target", e.Message);
        var flipped = With(0, 1, 0, -1, 3);
        flipped[3] = flipped[3] with { TargetInHistory = true };
        e = Assert.Throws<LetterDataException>(() => PairedComparison.CompareByTarget(a, flipped, "a.tsv", "b.tsv"));
        Assert.Equal("b.tsv: user \"u3\": has target_in_history 1 here and 0 in a.tsv: not the same histories", e.Message);
    }

    [Fact]
    public void Exact_McNemar_p_values_match_the_binomial_sum()
    {
        Assert.Equal(1, PairedComparison.McNemarExact(0, 0));
        Assert.Equal(2.0 / 32, PairedComparison.McNemarExact(0, 5), 12);
        Assert.Equal(22.0 / 1024, PairedComparison.McNemarExact(9, 1), 12);
        Assert.Equal(PairedComparison.McNemarExact(60, 90), PairedComparison.McNemarExact(90, 60), 12);
        // a large count against an exact rational sum: 2 * sum_{k <= 60} C(150, k) / 2^150
        BigInteger sum = 0, term = 1;
        for (int k = 0; k <= 60; k++)
        {
            sum += term;
            term = term * (150 - k) / (k + 1);
        }
        double exact = 2 * Math.Exp(BigInteger.Log(sum) - 150 * Math.Log(2));
        Assert.Equal(exact, PairedComparison.McNemarExact(60, 90), 10);
        Assert.InRange(PairedComparison.McNemarExact(3000, 3200), 1e-4, 0.1); // thousands of pairs: no overflow
    }

    [Fact]
    public void Erfc_matches_tabulated_values()
    {
        Assert.Equal(1, PairedComparison.Erfc(0), 6);
        Assert.Equal(0.157299207, PairedComparison.Erfc(1), 6);
        Assert.Equal(0.004677735, PairedComparison.Erfc(2), 7);
        Assert.Equal(1.842700793, PairedComparison.Erfc(-1), 6);
    }

    [Fact]
    public void Evaluations_of_different_users_or_targets_are_refused_with_the_file_and_user()
    {
        var a = Ranks(0, 1, 2);
        var e = Assert.Throws<LetterDataException>(() => PairedComparison.Compare(a, Ranks(0, 1), "a.tsv", "b.tsv"));
        Assert.Equal("b.tsv: has 2 users and a.tsv has 3: compare evaluations of the same users (the same split and the same user sample)", e.Message);
        var other = Ranks(0, 1, 2);
        other[2] = other[2] with { UserId = "z" };
        e = Assert.Throws<LetterDataException>(() => PairedComparison.Compare(a, other, "a.tsv", "b.tsv"));
        Assert.StartsWith("b.tsv: user \"z\": is not in a.tsv", e.Message);
        other = Ranks(0, 1, 2);
        other[1] = other[1] with { Target = 7 };
        e = Assert.Throws<LetterDataException>(() => PairedComparison.Compare(a, other, "a.tsv", "b.tsv"));
        Assert.Equal("b.tsv: user \"u1\": has target 7 here and 101 in a.tsv: not the same split or dataset", e.Message);
    }

    [Fact]
    public void The_ranks_file_round_trips_and_bad_lines_are_named()
    {
        using var tmp = new TempDir();
        var path = tmp.File("ranks.tsv");
        var ranks = new List<UserRank> { new("A1", 3, 0, 1, true), new("B 2", 4, -1, 19, false), new("C", 5, 2, 2) };
        UserRanksFile.Write(path, ranks);
        Assert.Equal("user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history\nA1\t3\t1\t2\t1\nB 2\t4\t-\t20\t0\nC\t5\t3\t3\t-\n", File.ReadAllText(path));
        Assert.Equal(ranks, UserRanksFile.Read(path));
        // files written before the repeat column are still read, without it
        File.WriteAllText(path, "user\ttarget\tidentifier_rank\titem_rank\nA1\t3\t1\t2\n");
        Assert.Equal([new UserRank("A1", 3, 0, 1)], UserRanksFile.Read(path));
        File.WriteAllText(path, "user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history\nA1\t3\t1\t2\tyes\n");
        Assert.Equal($"{path}: line 2: target_in_history \"yes\" is not 1, 0 or \"-\"", Assert.Throws<LetterDataException>(() => UserRanksFile.Read(path)).Message);
        File.WriteAllText(path, "user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history\nA1\t3\t1\t2\n");
        Assert.Contains("line 2: has 4 fields; expected 5 (user, target, identifier_rank, item_rank, target_in_history)",
            Assert.Throws<LetterDataException>(() => UserRanksFile.Read(path)).Message);
        Assert.Equal(Path.Combine(Path.GetDirectoryName(path)!, "ranks-valid-last-bf16.tsv"), UserRanksFile.For(tmp.File("metrics-valid-last-bf16.json")));

        File.WriteAllText(path, "user\ttarget\tidentifier_rank\titem_rank\nA1\t3\t0\t2\n");
        var e = Assert.Throws<LetterDataException>(() => UserRanksFile.Read(path));
        Assert.Equal($"{path}: line 2: rank \"0\" is neither a 1-based rank nor \"-\"", e.Message);
        File.WriteAllText(path, "user\ttarget\tidentifier_rank\titem_rank\nA1\t3\n");
        Assert.Contains("line 2: has 2 fields; expected 4 (user, target, identifier_rank, item_rank)", Assert.Throws<LetterDataException>(() => UserRanksFile.Read(path)).Message);
        File.WriteAllText(path, "{\"recall@10\": 0.1}\n");
        Assert.Contains("line 1: is not a ranks header", Assert.Throws<LetterDataException>(() => UserRanksFile.Read(path)).Message);
        // a run folder evaluated before ranks were written says what to do
        var run = tmp.File("run");
        Directory.CreateDirectory(run);
        e = Assert.Throws<LetterDataException>(() => UserRanksFile.Resolve(run, DataSplit.Valid));
        Assert.Contains("ranks-valid.tsv: is missing: evaluate the run's valid split first", e.Message);
    }
}
