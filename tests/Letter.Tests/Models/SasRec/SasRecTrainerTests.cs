using System.Text.Json;
using Letter.Models.SasRec;
using Letter.Data;
using Letter.Evaluation;
using Letter.Formats;
using Letter.IO;

namespace Letter.Tests.Models.SasRec;

/// <summary>Training data, learning, early stopping and checkpoints of SASRec.</summary>
public class SasRecTrainerTests
{

    /// <summary>Users whose next item follows a planted rule: next = (7 * item + 3) mod N.</summary>
    private static List<UserSequence> PlantedRule(int users, int items, int seed)
    {
        var rng = new Common.SplitMix64((ulong)seed);
        var list = new List<UserSequence>();
        for (int u = 0; u < users; u++)
        {
            int n = 6 + rng.Next(8);
            var s = new int[n];
            s[0] = rng.Next(items);
            for (int i = 1; i < n; i++) s[i] = (7 * s[i - 1] + 3) % items;
            list.Add(new UserSequence(u.ToString(), s));
        }
        return list;
    }

    [Fact]
    public void TrainingData_HoldsNoValidationOrTestItem()
    {
        // Validation and test items are 100+ and 200+; every earlier item is below 100.
        var users = Enumerable.Range(0, 5).Select(u =>
            new UserSequence(u.ToString(), [.. Enumerable.Range(0, 3 + u).Select(i => i * 3 % 97), 100 + u, 200 + u])).ToList();
        var data = SasRecData.Build(users, maxLen: 4);
        foreach (var x in data.Train)
        {
            Assert.All(x.Input.Concat(x.Targets), i => Assert.True(i < 100, $"user {x.User}: item {i} leaked into training"));
            Assert.Equal(x.Input.Length, x.Targets.Length);
            Assert.True(x.Input.Length <= 4);
            var s = users[x.User].Items;
            // Targets are the items that follow the inputs, ending with the last training item s[n-3].
            Assert.Equal(s[^3], x.Targets[^1]);
            for (int t = 0; t < x.Input.Length - 1; t++) Assert.Equal(x.Input[t + 1], x.Targets[t]);
        }
        Assert.Equal(5, data.Valid.Count);
        Assert.All(data.Valid, v => Assert.Equal(100 + v.User, v.Targets[0]));
        Assert.All(data.Valid, v => Assert.DoesNotContain(100 + v.User, v.Input));
        Assert.All(data.Test, t => Assert.Equal(200 + t.User, t.Targets[0]));
        Assert.All(data.Test, t => Assert.Equal(100 + t.User, t.Input[^1]));
    }

    [Fact]
    public void PlantedNextItemRule_LossFalls_AndRecallApproachesOne()
    {
        var users = PlantedRule(300, 50, 1);
        var config = new SasRecConfig { Threads = 1, Dim = 32, MaxLen = 10, Dropout = 0.1, Epochs = 30, Patience = 0, BatchSize = 64, LearningRate = 1e-2, Seed = 7 };
        var result = SasRecTrainer.Train(users, 50, config, null, evaluateTest: true);
        Assert.True(result.History[^1].Loss < 0.5 * result.History[0].Loss,
            $"loss {result.History[0].Loss:0.000} -> {result.History[^1].Loss:0.000}");
        Assert.True(result.Test!["recall@10"] >= 0.95, $"test recall@10 {result.Test["recall@10"]:0.000}");
        Assert.True(result.Test["recall@1"] >= 0.8, $"test recall@1 {result.Test["recall@1"]:0.000}");
    }

    [Fact]
    public void PerUserRanks_AreWritten_FlagTargetsInTigersHistoryWindow_AndGiveBackTheMetrics()
    {
        using var tmp = new TempDir();
        var users = PlantedRule(60, 50, 3);
        // test targets planted at known distances back in the history: 1 and 20 are inside the 20-item window, 21 is not
        int[] Repeat(int back) => [.. Enumerable.Range(0, 24).Select(i => 10 + i), 10 + 24 - back];
        users.Add(new UserSequence("back1", Repeat(1)));
        users.Add(new UserSequence("back20", Repeat(20)));
        users.Add(new UserSequence("back21", Repeat(21)));
        // validation target (item n-2) repeats the item before it; the test target is new
        users.Add(new UserSequence("valid-repeat", [40, 41, 42, 42, 43]));
        var config = new SasRecConfig { Threads = 1, Dim = 8, MaxLen = 30, Epochs = 2, Patience = 0, BatchSize = 32, Seed = 3 };
        var outFile = tmp.File("cf.npy");

        var result = SasRecTrainer.Train(users, 50, config, outFile, evaluateTest: true);

        var test = UserRanksFile.Read(result.TestRanksFile!);
        var valid = UserRanksFile.Read(result.ValidRanksFile!);
        Assert.Equal(tmp.File("cf.ranks-test.tsv"), result.TestRanksFile);
        Assert.Equal(users.Count, test.Count);
        Assert.Equal(users.Select(u => u.UserId), test.Select(r => r.UserId));
        Assert.Equal(users.Select(u => u.Items[^1]), test.Select(r => r.Target));
        Assert.Equal(users.Select(u => u.Items[^2]), valid.Select(r => r.Target));
        bool? Flag(List<UserRank> ranks, string user) => ranks.Single(r => r.UserId == user).TargetInHistory;
        Assert.True(Flag(test, "back1"));
        Assert.True(Flag(test, "back20"));
        Assert.False(Flag(test, "back21"));
        Assert.True(Flag(valid, "valid-repeat"));
        Assert.False(Flag(test, "valid-repeat"));
        // the planted-rule users: the flag says whether the target is among the last 20 history items
        foreach (var u in users.Take(60))
            Assert.Equal(u.Items[..^1].TakeLast(20).Contains(u.Items[^1]), Flag(test, u.UserId));
        // the metrics of the result are those of the ranks written
        var m = new Letter.Evaluation.RankingMetrics();
        foreach (var r in test) m.Add(r.IdentifierRank);
        Assert.Equal(m.ToDictionary(), result.Test);
        Assert.All(test, r => Assert.Equal(r.IdentifierRank, r.ItemRank));
        Assert.All(test, r => Assert.InRange(r.IdentifierRank, 0, 49));
    }

    [Fact]
    public void BinaryCrossEntropy_AlsoLearnsThePlantedRule()
    {
        var users = PlantedRule(300, 50, 2);
        var config = new SasRecConfig { Threads = 1, Dim = 32, MaxLen = 10, Dropout = 0.1, Epochs = 30, Patience = 0, BatchSize = 64, LearningRate = 1e-2, Seed = 7, Loss = SasRecLoss.BinaryCrossEntropy };
        var result = SasRecTrainer.Train(users, 50, config, null, evaluateTest: true);
        Assert.True(result.History[^1].Loss < result.History[0].Loss);
        Assert.True(result.Test!["recall@10"] >= 0.9, $"test recall@10 {result.Test["recall@10"]:0.000}");
    }

    [Fact]
    public void EarlyStopping_KeepsTheBestValidationEpoch()
    {
        var users = PlantedRule(200, 50, 3);
        var config = new SasRecConfig { Threads = 1, Dim = 16, MaxLen = 10, Epochs = 30, Patience = 2, LearningRate = 5e-2, Seed = 3 };
        var result = SasRecTrainer.Train(users, 50, config, null, evaluateTest: true);
        var best = result.History.MaxBy(e => e.ValidNdcg10!.Value)!;
        Assert.Equal(best.Epoch, result.BestEpoch);
        Assert.True(result.History.Count == 30 || result.History.Count == result.BestEpoch + 2);
        // The restored parameters are the best epoch's: validation NDCG@10 is evaluated again on them.
        Assert.Equal(result.BestValidNdcg10, result.Valid!["ndcg@10"], 6);
    }

    [Fact]
    public void EmbeddingsFromACheckpoint_AreBitwiseStable()
    {
        using var dir = new TempDir();
        var users = PlantedRule(100, 30, 4);
        var config = new SasRecConfig { Threads = 1, Dim = 16, MaxLen = 8, Epochs = 2, Seed = 5 };
        var outFile = dir.File("cf.npy");
        var result = SasRecTrainer.Train(users, 30, config, outFile);
        var checkpoint = SasRecTrainer.CheckpointPath(outFile);
        var first = SasRecTrainer.EmbeddingsFromCheckpoint(checkpoint, 30, config);
        var second = SasRecTrainer.EmbeddingsFromCheckpoint(checkpoint, 30, config with { Seed = 99, Dropout = 0.1 });
        Assert.Equal((30, 16), (first.Rows, first.Cols));
        Assert.Equal(first.Data, second.Data);
        Assert.Equal(result.Embeddings.Data, first.Data);
        Assert.Equal(NpyFile.Serialize(first), File.ReadAllBytes(outFile));
        using var json = JsonDocument.Parse(File.ReadAllText(outFile + ".json"));
        Assert.Equal(16, json.RootElement.GetProperty("config").GetProperty("dim").GetInt32());
        Assert.Equal("cross_entropy", json.RootElement.GetProperty("config").GetProperty("loss").GetString());
        Assert.Equal(config.Patience, json.RootElement.GetProperty("config").GetProperty("patience").GetInt32());
    }

    [Fact]
    public void SameSeed_SameEmbeddings()
    {
        var users = PlantedRule(100, 30, 6);
        var config = new SasRecConfig { Threads = 1, Dim = 16, MaxLen = 8, Epochs = 2, Seed = 11 };
        var a = SasRecTrainer.Train(users, 30, config, null);
        var b = SasRecTrainer.Train(users, 30, config, null);
        Assert.Equal(a.Embeddings.Data, b.Embeddings.Data);
    }

    [Fact]
    public void CfEmbeddings_DropsAPaddingRow_AndRejectsWrongRowCounts()
    {
        using var dir = new TempDir();
        var withPadding = new FloatMatrix([0, 0, 1, 2, 3, 4], 3, 2);
        NpyFile.Write(dir.File("pad.npy"), withPadding);
        var m = CfEmbeddings.Read(dir.File("pad.npy"), 2);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, m.Data);
        var e = Assert.Throws<LetterDataException>(() => CfEmbeddings.Read(dir.File("pad.npy"), 5));
        Assert.Contains("has 3 rows but the dataset has 5 items", e.Message);
    }

    [SharedDataFact("data", "instruments", "Instruments.cf-sasrec-32d.npy")]
    public void OfficialInstrumentsFile_ReadsAsOneRowPerItem()
    {
        var m = CfEmbeddings.Read(SharedData.Path("data", "instruments", "Instruments.cf-sasrec-32d.npy"), 9922);
        Assert.Equal((9922, 32), (m.Rows, m.Cols));
        Assert.All(m.Data, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ScoresInSeveralBlocks_GiveTheSameTraining()
    {
        var users = PlantedRule(120, 50, 8);
        var config = new SasRecConfig { Threads = 1, Dim = 16, MaxLen = 8, Epochs = 2, Seed = 9 };
        var whole = SasRecTrainer.Train(users, 50, config, null, evaluateTest: true);
        var saved = SasRecTrainer.ChunkBytes;
        try
        {
            SasRecTrainer.ChunkBytes = 4 * 50 * 7;   // 7 positions per block
            var blocks = SasRecTrainer.Train(users, 50, config, null, evaluateTest: true);
            for (int i = 0; i < whole.Embeddings.Data.Length; i++)
                Assert.InRange(blocks.Embeddings.Data[i] - whole.Embeddings.Data[i], -1e-4f, 1e-4f);
            Assert.Equal(whole.History[0].Loss, blocks.History[0].Loss, 4);
        }
        finally
        {
            SasRecTrainer.ChunkBytes = saved;
        }
    }
}
