using System.Text.Json;
using Letter.Data;
using Letter.Tests.Cli;

namespace Letter.Tests.Data;

public class DataStatsTests
{
    [Fact]
    public void IndexStatistics_HandWorkedExample()
    {
        // Items 0 and 1 share (1, 2); item 2 is (1, 3); item 3 is (0, 2).
        int[][] codes = [[1, 2], [1, 2], [1, 3], [0, 2]];
        var s = IndexStatistics.Compute(codes, [4, 4]);
        Assert.Equal(3, s.Distinct);
        Assert.Equal(0.25, s.CollisionRate, 12);
        Assert.Equal(2, s.MaxGroup);
        Assert.Equal(2, s.CollidingItems);
        Assert.Equal([2, 3], s.DistinctPrefixes);
        Assert.Equal(2, s.PerLevel[0].CodesUsed);
        Assert.Equal(3, s.PerLevel[0].LargestGroup);
        // Level 1: codes 1 (3 items) and 0 (1 item): H = -(0.75 log2 0.75 + 0.25 log2 0.25).
        Assert.Equal(-(0.75 * Math.Log2(0.75) + 0.25 * Math.Log2(0.25)), s.PerLevel[0].EntropyBits, 12);
        Assert.Equal(2.0, s.PerLevel[1].MaxEntropyBits, 12);
    }

    [Fact]
    public void RepeatTargetShares_count_targets_found_in_the_model_history_per_split()
    {
        // user a: 5 1 5 2 5 -> train targets 1 (history 5: new), 5 (5 1: repeat); valid 2 (new); test 5 (repeat)
        // user b: 7 8 9     -> no training sample; valid 8 (new); test 9 (new)
        var split = LeaveOneOutSplit.Build([new UserSequence("a", [5, 1, 5, 2, 5]), new UserSequence("b", [7, 8, 9])]);
        var shares = RepeatTargetShares.Compute(split);
        Assert.Equal(0.5, shares.Train, 12);
        Assert.Equal(0.0, shares.Valid, 12);
        Assert.Equal(0.5, shares.Test, 12);
        // with a one-item history window, user a's test history is only [2], so its target 5 is new
        Assert.Equal(0.0, RepeatTargetShares.Compute(LeaveOneOutSplit.Build([new UserSequence("a", [5, 1, 5, 2, 5])], new SplitOptions(MaxHistory: 1))).Test, 12);
    }

    [SharedDataFact("data", "instruments")]
    public void Stats_Instruments_MatchesPublishedCounts()
    {
        var r = CliRunner.Run("data", "stats", SharedData.Dataset("instruments"), "--json");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        Assert.Equal(24772, root.GetProperty("users").GetInt32());
        Assert.Equal(9922, root.GetProperty("items").GetInt32());
        Assert.Equal(206153, root.GetProperty("interactions").GetInt32());
        var index = root.GetProperty("index");
        Assert.Equal(9897, index.GetProperty("distinct").GetInt32());
        Assert.Equal(0.0025, Math.Round(index.GetProperty("collision_rate").GetDouble(), 4));
        Assert.Equal(3, index.GetProperty("max_group").GetInt32());
        Assert.Equal(150, index.GetProperty("codes_used")[0].GetInt32());
        // Instruments users never buy the same item twice
        Assert.Equal(0.0, root.GetProperty("target_in_history").GetProperty("test").GetDouble());
    }

    [SharedDataFact("data", "yelp")]
    public void Stats_Yelp_MatchesPublishedCounts()
    {
        var s = DatasetStatistics.Compute(LetterDataset.Load(SharedData.Dataset("yelp")));
        Assert.Equal((30431, 20033, 316354L), (s.Users, s.Items, s.Interactions));
        Assert.Equal(19201, s.Index!.Distinct);
        Assert.Equal(65, s.Index.MaxGroup);
        // counted independently (Python over Yelp.inter.json): 1,984 of 30,431 test targets and
        // 7,535 of 225,061 training targets are among the previous 20 items
        Assert.Equal(1984.0 / 30431, s.RepeatTargets.Test, 12);
        Assert.Equal(7535.0 / 225061, s.RepeatTargets.Train, 12);
        Assert.Contains(s.Embeddings, e => e.File == "Yelp.emb-minilm.npy" && e.Cols == 384 && e.Rows == 20033);
    }

    [Fact]
    public void Synth_SameSeedSameBytes_DifferentSeedDifferentBytes()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        var o = SynthOptions.Default with { Users = 200, Items = 120 };
        SyntheticDataset.Write(a.Path, o);
        SyntheticDataset.Write(b.Path, o);
        SyntheticDataset.Write(c.Path, o with { Seed = o.Seed + 1 });
        foreach (var f in new[] { "Synth.inter.json", "Synth.item.json" })
        {
            Assert.Equal(File.ReadAllBytes(a.File(f)), File.ReadAllBytes(b.File(f)));
        }
        Assert.NotEqual(File.ReadAllBytes(a.File("Synth.inter.json")), File.ReadAllBytes(c.File("Synth.inter.json")));
    }

    [Theory]
    [InlineData(50)]
    [InlineData(60)]
    [InlineData(71)]
    public void Synth_SmallCatalogues_Work(int items)
    {
        using var dir = new TempDir();
        var data = LetterDataset.Load(SyntheticDataset.Write(dir.Path, SynthOptions.Default with { Users = 50, Items = items }));
        Assert.Equal(items, data.ItemCount);
        Assert.All(data.Users, u => Assert.All(u.Items, i => Assert.InRange(i, 0, items - 1)));
    }

    [Fact]
    public void Synth_LoadsAndHasBothSemanticAndHiddenPatterns()
    {
        using var dir = new TempDir();
        var folder = SyntheticDataset.Write(dir.Path, SynthOptions.Default with { Users = 400, Items = 200 });
        var data = LetterDataset.Load(folder);
        Assert.Equal(400, data.Users.Count);
        Assert.Equal(200, data.ItemCount);
        Assert.All(data.Users, u => Assert.True(u.Items.Length >= 5));
        Assert.All(data.Users, u => Assert.Equal(u.Items.Length, u.Items.Distinct().Count()));

        // Semantic pattern: consecutive items share a category far more often than chance.
        // "Department, Category, Product type": the first two parts name the category.
        var category = data.Items!.Select(t => string.Join(", ", t.Categories!.Split(", ").Take(2))).ToArray();
        int pairs = 0, sameCategory = 0, crossDepartment = 0;
        var transitions = new Dictionary<(int, int), int>();
        foreach (var u in data.Users)
            for (int i = 0; i + 1 < u.Items.Length; i++)
            {
                pairs++;
                int x = u.Items[i], y = u.Items[i + 1];
                if (category[x] == category[y]) sameCategory++;
                if (category[x].Split(", ")[0] != category[y].Split(", ")[0]) crossDepartment++;
                transitions[(x, y)] = transitions.GetValueOrDefault((x, y)) + 1;
            }
        Assert.True(sameCategory > pairs * 0.2, $"same-category transitions {sameCategory} of {pairs}");
        // Collaborative pattern: some item's most frequent successor, in another department, repeats often.
        var strongCross = transitions.Where(t => t.Value >= 5 && category[t.Key.Item1].Split(", ")[0] != category[t.Key.Item2].Split(", ")[0]).Count();
        Assert.True(strongCross >= 50, $"only {strongCross} strong cross-department transitions");
    }
}
