using Letter.Models.SasRec;
using Letter.Embeddings;
using Letter.Pipeline;
using Letter.Models.Tiger;
using Letter.Tokenization;

namespace Letter.Tests.Pipeline;

public class StageManifestTests
{
    private static StageSettings Tiger(TigerConfig config, int? evalMaxUsers = 30) => StageSettings.Of(new TigerStageSettings(config, evalMaxUsers));

    [Fact]
    public void Check_TracksSettingsInputsAndOutputs()
    {
        using var dir = new TempDir();
        var stage = Path.Combine(dir.Path, "tokenizer");
        Directory.CreateDirectory(stage);
        File.WriteAllText(dir.File("in.npy"), "abc");
        File.WriteAllText(Path.Combine(stage, "out.json"), "{}");
        var inputs = new Dictionary<string, string> { ["semantic"] = dir.File("in.npy") };
        var a1 = StageSettings.Of(new TokenizerConfig { Alpha = 1 });

        Assert.Equal(StageStatus.NotFinished, StageManifest.Check(stage, a1, inputs).Status);
        StageManifest.Write(stage, "tokenizer", a1, inputs, ["out.json"], TimeSpan.FromSeconds(2));
        Assert.Equal(StageStatus.UpToDate, StageManifest.Check(stage, a1, inputs).Status);
        Assert.Equal("settings changed", StageManifest.Check(stage, StageSettings.Of(new TokenizerConfig { Alpha = 2 }), inputs).Reason);

        File.WriteAllText(dir.File("in.npy"), "abd");
        Assert.Equal("input 'semantic' changed", StageManifest.Check(stage, a1, inputs).Reason);
        File.WriteAllText(dir.File("in.npy"), "abc");
        File.Delete(Path.Combine(stage, "out.json"));
        Assert.Equal("output out.json is missing", StageManifest.Check(stage, a1, inputs).Reason);
        var never = StageManifest.Check(Path.Combine(dir.Path, "other"), a1, inputs);
        Assert.Equal((StageStatus.Rerun, "not run yet"), (never.Status, never.Reason));
    }

    [Fact]
    public void RunOnlySettings_KeepTheModel_TrainedOnesDoNot()
    {
        using var dir = new TempDir();
        var stage = Path.Combine(dir.Path, "tiger");
        Directory.CreateDirectory(stage);
        File.WriteAllText(dir.File("inter.json"), "{}");
        var inputs = new Dictionary<string, string> { ["interactions"] = dir.File("inter.json") };
        var config = new TigerConfig();
        StageManifest.Write(stage, "tiger", Tiger(config), inputs, [], TimeSpan.Zero);

        var runOnly = StageManifest.Check(stage, Tiger(config with { Threads = 1, Beam = 50, EvalBatchUsers = 8, CheckpointMinutes = 1 }, 100), inputs);
        Assert.Equal(StageStatus.RunSettingsChanged, runOnly.Status);
        Assert.Equal(["eval_max_users", "tiger.beam", "tiger.checkpoint_minutes", "tiger.eval_batch_users", "tiger.threads"], runOnly.ChangedRunSettings);

        foreach (var trained in new[] { config with { LearningRate = 1e-3 }, config with { Bf16 = true }, config with { Epochs = 3 }, config with { Seed = 1 } })
            Assert.Equal(StageStatus.Rerun, StageManifest.Check(stage, Tiger(trained), inputs).Status);
    }

    [Fact]
    public void ManifestOfAnOlderLetter_MatchesOnlyWhenNothingChanged()
    {
        using var dir = new TempDir();
        var stage = Path.Combine(dir.Path, "tiger");
        Directory.CreateDirectory(stage);
        var settings = Tiger(new TigerConfig());
        // what Letter wrote before run-only settings were split out: one hash of all settings, no run_settings
        var old = new StageManifest("tiger", Letter.IO.FileHash.Sha256Text(settings.FullJson), new Dictionary<string, string>(), [], DateTime.UtcNow, 1);
        File.WriteAllText(StageManifest.PathIn(stage), System.Text.Json.JsonSerializer.Serialize(old, ConfigJson.Options));
        Assert.Equal(StageStatus.UpToDate, StageManifest.Check(stage, settings, new Dictionary<string, string>()).Status);
        Assert.Equal(StageStatus.Rerun, StageManifest.Check(stage, Tiger(new TigerConfig { Threads = 1 }), new Dictionary<string, string>()).Status);
    }

    /// <summary>The partition itself: every setting listed here changes only how a stage runs, every other one what it trains.</summary>
    [Fact]
    public void RunOnlyPartition_IsExactlyTheDocumentedList()
    {
        Assert.Equal(["tiger.checkpoint_minutes", "tiger.beam", "tiger.eval_batch_users", "tiger.threads", "eval_max_users"],
            StageSettings.RunOnlyPaths(typeof(TigerStageSettings)));
        Assert.Equal(["threads"], StageSettings.RunOnlyPaths(typeof(SasRecConfig)));
        Assert.Equal(["threads"], StageSettings.RunOnlyPaths(typeof(TokenizerConfig)));
        Assert.Equal(["batch_size", "threads", "spin_wait_threads"], StageSettings.RunOnlyPaths(typeof(TextEmbedderOptions)));
        var split = Tiger(new TigerConfig());
        Assert.DoesNotContain("\"threads\"", split.TrainedJson);
        Assert.Contains("\"learning_rate\"", split.TrainedJson);
        Assert.Equal("20", split.RunOnly["tiger.beam"]);
    }

    [Fact]
    public void MoveAside_RenamesNeverDeletes()
    {
        using var dir = new TempDir();
        var stage = Path.Combine(dir.Path, "tiger");
        Directory.CreateDirectory(Path.Combine(stage, "checkpoints"));
        File.WriteAllText(Path.Combine(stage, "checkpoints", "best.ckpt"), "weights");
        var when = new DateTime(2026, 11, 26, 18, 40, 5, DateTimeKind.Utc);
        var moved = StaleStage.MoveAside(stage, when);
        Assert.Equal(Path.Combine(dir.Path, "tiger.replaced-20261126-184005"), moved);
        Assert.Equal("weights", File.ReadAllText(Path.Combine(moved, "checkpoints", "best.ckpt")));
        Directory.CreateDirectory(stage);
        Assert.Equal(moved + "-2", StaleStage.MoveAside(stage, when));
    }
}
