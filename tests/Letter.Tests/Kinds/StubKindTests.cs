using System.Text.Json;
using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.Kinds;
using Letter.Runs;
using Letter.Tests.Cli;
using Letter.Tests.Models.Tiger;
using Letter.Tests.Service;
using Letter.Training;

namespace Letter.Tests.Kinds;

/// <summary>
/// A third recommender kind registered only by the test project (<see cref="StubBagKind"/>) goes through the
/// unchanged hosts: <c>letter train</c> trains it and resumes an interrupted run exactly, <c>letter eval</c>
/// evaluates it, <c>letter recommend</c> answers with real items, and the service serves it in process.
/// </summary>
public class StubKindTests
{
    private const int Users = 40, Items = 12;

    private static List<EpochRecord> Curve(string run) =>
        JsonSerializer.Deserialize<List<EpochRecord>>(File.ReadAllText(new RunFolder(run).CurveFile), Letter.IO.LetterJson.Options)!;

    [Fact]
    public async Task A_kind_registered_only_in_the_tests_trains_resumes_evaluates_recommends_and_is_served()
    {
        using var tmp = new TempDir();
        var dataDir = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: Users, items: Items, length: 6);
        string[] train = ["train", dataDir, "--recommender", StubBagKind.KindName, "--bag-dim", "12", "--epochs", "3", "--seed", "3"];

        // an uninterrupted run, through the CLI with the kind's own option
        var whole = tmp.File("whole");
        var trained = CliRunner.Run([.. train, "--out", whole]);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        Assert.Contains("3 epochs", trained.Stdout);
        var record = RunRecord.Read(new RunFolder(whole));
        Assert.Equal(StubBagKind.KindName, record.Kind);
        Assert.Equal(12, record.Settings["dim"]!.GetValue<int>());
        var wholeCurve = Curve(whole);
        Assert.Equal([1, 2, 3], wholeCurve.Select(e => e.Epoch));
        Assert.True(wholeCurve[^1].TrainLoss < wholeCurve[0].TrainLoss, $"train loss {wholeCurve[0].TrainLoss} -> {wholeCurve[^1].TrainLoss}");

        // the same run stopped after 3 optimizer steps (mid epoch 1: 40 users give more than 3 batches of 16), then resumed by the CLI
        var resumed = tmp.File("resumed");
        var data = LetterDataset.Load(dataDir);
        var kind = KindRegistry.Default.Find(StubBagKind.KindName, "test");
        var config = (StubBagConfig)kind.DefaultConfig with { Dim = 12, Epochs = 3, Seed = 3 };
        var stopped = kind.Train(new KindTrainRequest
        {
            Data = data, Index = data.Index!, Config = config, RunDirectory = resumed,
            Train = new TrainOptions { IndexFile = data.Folder.IndexFile, StopAfterSteps = 3 },
        });
        Assert.Equal(3, stopped.State.GlobalStep);
        Assert.Equal(0, stopped.State.Epoch);
        Assert.Empty(stopped.State.Curve);
        var continued = CliRunner.Run([.. train, "--out", resumed, "--resume"]);
        Assert.True(continued.ExitCode == 0, continued.Stderr);
        var resumedCurve = Curve(resumed);
        Assert.Equal([1, 2, 3], resumedCurve.Select(e => e.Epoch));
        Assert.Equal(wholeCurve.Sum(e => e.Steps), resumedCurve.Sum(e => e.Steps));
        for (int e = 0; e < 3; e++)
        {
            // the resumed run continues exactly where it stopped: same batches, weights and optimizer state
            Assert.Equal(wholeCurve[e].TrainLoss, resumedCurve[e].TrainLoss, 5);
            Assert.Equal(wholeCurve[e].ValidNdcg10, resumedCurve[e].ValidNdcg10, 6);
        }

        // letter eval: every user's test target ranked, metrics within their bounds
        var eval = CliRunner.Run("eval", resumed);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        var metricsFile = new RunFolder(resumed).MetricsFile;
        Assert.Contains($"{Users} users", eval.Stdout);
        using (var metrics = JsonDocument.Parse(File.ReadAllText(metricsFile)))
        {
            var m = metrics.RootElement;
            Assert.Equal(Users, m.GetProperty("users").GetInt32());
            double r1 = m.GetProperty("recall@1").GetDouble(), r5 = m.GetProperty("recall@5").GetDouble(), r10 = m.GetProperty("recall@10").GetDouble();
            Assert.True(0 <= r1 && r1 <= r5 && r5 <= r10 && r10 <= 1, $"recall@1/5/10 {r1} {r5} {r10}");
            Assert.InRange(m.GetProperty("ndcg@10").GetDouble(), 0, r10);
            // the per-user ranks: one line per user, and recall@10 counted again from them
            var ranks = UserRanksFile.Read(UserRanksFile.For(metricsFile));
            Assert.Equal(Users, ranks.Select(r => r.UserId).Distinct().Count());
            Assert.All(ranks, r => Assert.InRange(r.Target, 0, Items - 1));
            Assert.Equal(r10, ranks.Count(r => r.IdentifierRank is >= 0 and < 10) / (double)Users, 6);
        }

        // letter recommend: k distinct real items, none from the history
        var recommend = CliRunner.Run("recommend", resumed, "--history", "1,2,3", "--k", "4", "--exclude-seen", "--json");
        Assert.True(recommend.ExitCode == 0, recommend.Stderr);
        using var answer = JsonDocument.Parse(recommend.Stdout);
        var items = answer.RootElement.GetProperty("recommendations").EnumerateArray().Select(r => r.GetProperty("item").GetInt32()).ToList();
        Assert.Equal(4, items.Distinct().Count());
        Assert.All(items, i => Assert.InRange(i, 0, Items - 1));
        Assert.Empty(items.Intersect([1, 2, 3]));

        // the service, in process: its answers are the library's recommend path on the same run
        int[][] histories = [[1, 2, 3], [5], [7, 8, 9, 10]];
        var expected = new List<int[]>();
        using (var opened = OpenedRun.Open(resumed))
        {
            Assert.Same(StubBagKind.Instance, opened.Kind);
            foreach (var h in histories)
                expected.Add(opened.Recommender.Recommend(h, 4, new RecommendOptions(ExcludeHistory: true)).SelectMany(r => r.Items).Take(4).ToArray());
        }
        await using var s = await TestServing.Start(resumed);
        var ready = await s.GetJson("/health/ready");
        Assert.Equal(StubBagKind.KindName, ready.GetProperty("model").GetProperty("name").GetString());
        Assert.Equal(Items, ready.GetProperty("model").GetProperty("items").GetInt32());
        for (int i = 0; i < histories.Length; i++)
        {
            var one = await s.PostOk("/v1/recommend", JsonSerializer.Serialize(new { history = histories[i], k = 4 }));
            var served = TestServing.ItemIds(one);
            Assert.Equal(expected[i], served);
            Assert.Equal(4, served.Distinct().Count());
            Assert.All(served, item => Assert.InRange(item, 0, Items - 1));
            Assert.Empty(served.Intersect(histories[i]));
        }
    }
}
