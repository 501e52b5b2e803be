using Letter.Training;
using System.Text.Json.Nodes;
using Letter.Data;
using Letter.IO;
using Letter.Kinds;
using Letter.Models.LcRec;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Tests.Models.LcRec;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Runs;

/// <summary>
/// The run record: every run names its kind and schema; records written before (schema 1: TIGER's
/// without a kind, LC-Rec's with "recommender") still open, into the same recommender.
/// </summary>
public sealed class RunRecordTests
{
    /// <summary>Rewrites a run's config.json as the version before the run record wrote it.</summary>
    internal static void MakeSchema1(string runDirectory, string? recommender)
    {
        var file = Path.Combine(runDirectory, "config.json");
        var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
        Assert.Equal(RunRecord.CurrentSchema, (int)root["schema_version"]!);
        root.Remove("kind");
        root.Remove("schema_version");
        if (recommender is not null) root["recommender"] = recommender;
        File.WriteAllText(file, root.ToJsonString());
    }

    private static string[] TopItems(string run, int[] history)
    {
        using var opened = OpenedRun.Open(run);
        return opened.Recommender.Recommend(history, 5).Select(r => string.Join(",", r.Items) + ":" + r.Score).ToArray();
    }

    [Fact]
    public void TigerRun_RecordsItsKind_AndAnOlderRecordWithoutOneOpensAlike()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 40, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        var run = dir.File("run");
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1 }, run);
        var record = RunRecord.Read(Path.Combine(run, "config.json"));
        Assert.Equal(("tiger", RunRecord.CurrentSchema, 12), (record.Kind, record.SchemaVersion, record.ItemCount));
        var now = TopItems(run, [0, 1, 2]);

        MakeSchema1(run, recommender: null);
        var old = RunRecord.Read(Path.Combine(run, "config.json"));
        Assert.Equal(("tiger", 1), (old.Kind, old.SchemaVersion));
        Assert.Equal(now, TopItems(run, [0, 1, 2]));
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void LcRecRun_RecordsItsKind_AndAnOlderRecordNamingTheRecommenderOpensAlike()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 16, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        var run = dir.File("run");
        using (new OneThread())
            LcRecTrainer.Train(data, data.Index!, Stories.Path, LcRecTrainerTests.Config(1), run, options: new TrainOptions { StopAfterSteps = 1 });
        Assert.Equal("lc-rec", RunRecord.Read(Path.Combine(run, "config.json")).Kind);
        Assert.DoesNotContain("\"recommender\"", File.ReadAllText(Path.Combine(run, "config.json")));
        var now = TopItems(run, [0, 1, 2]);

        MakeSchema1(run, recommender: "lc-rec");
        var old = RunRecord.Read(Path.Combine(run, "config.json"));
        Assert.Equal(("lc-rec", 1), (old.Kind, old.SchemaVersion));
        Assert.Equal(now, TopItems(run, [0, 1, 2]));
        Assert.Equal(LcRecTrainerTests.Config(1).Beam, new LcRecRunFolder(run).ReadInfo().Config.Beam);
    }

    [Fact]
    public void UnknownKind_AndNewerSchema_AreRefusedNamingTheFile()
    {
        using var dir = new TempDir();
        var file = dir.File("config.json");
        File.WriteAllText(file, """{"kind": "sasrec-gen", "schema_version": 2, "config": {}, "dataset_directory": "d", "index_sha256": "x", "item_count": 3}""");
        var record = RunRecord.Read(file);
        var e = Assert.Throws<LetterDataException>(() => KindRegistry.Default.Find(record.Kind, file));
        Assert.Equal($"{file}: names the recommender kind 'sasrec-gen', which this version of Letter does not know (known: {string.Join(", ", KindRegistry.Default.Names)})", e.Message);

        File.WriteAllText(file, """{"kind": "tiger", "schema_version": 9, "config": {}, "dataset_directory": "d", "index_sha256": "x", "item_count": 3}""");
        var newer = Assert.Throws<LetterDataException>(() => RunRecord.Read(file));
        Assert.Contains("is 9: this version of Letter reads run records of schema 1 to 2", newer.Message);
    }

    [Fact]
    public void Registry_RefusesASecondKindOfTheSameName()
    {
        var registry = new KindRegistry().Register(TigerKind.Instance);
        var e = Assert.Throws<ArgumentException>(() => registry.Register(TigerKind.Instance));
        Assert.Equal("a recommender kind named 'tiger' is already registered", e.Message);
        // the built-in kinds first; the test project registers its own stub-bag kind after them (Kinds/StubBagKind.cs)
        Assert.Equal(["tiger", "lc-rec"], KindRegistry.Default.Names.Take(2));
    }
}
