using Letter.Cli;
using Letter.Data;
using Letter.IO;
using Letter.Models.Tiger;

namespace Letter.Tests.Models.Tiger;

public class InitialWeightsTests
{
    [Fact]
    public void A_run_started_from_another_holds_its_chosen_weights_and_a_fresh_schedule()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40));
        var config = TinyTiger.Config() with { Epochs = 1, BatchSize = 16 };
        var source = tmp.File("source");
        TigerTrainer.Train(data, data.Index!, config, source);

        // The first step's learning rate is 0 (linear warm-up from 0), so AdamW leaves every
        // parameter as it was: after one step the new run still holds exactly the weights it started from.
        var continued = tmp.File("continued");
        var result = TigerTrainer.Train(data, data.Index!, config with { Epochs = 3 }, continued,
            options: new TigerTrainOptions { InitFrom = source, StopAfterSteps = 1 });
        Assert.Equal(1, result.State.GlobalStep);
        Assert.Equal(0, result.State.Epoch);
        Assert.Empty(result.State.Curve);

        var expected = TinyTiger.Parameters(new TigerRunFolder(source).BestCheckpoint, config, data.Index!);
        var actual = TinyTiger.Parameters(new TigerRunFolder(continued).LastCheckpoint, config, data.Index!);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);

        // without --init-from the same command starts elsewhere
        var fresh = tmp.File("fresh");
        TigerTrainer.Train(data, data.Index!, config with { Epochs = 3 }, fresh, options: new TigerTrainOptions { StopAfterSteps = 1 });
        Assert.NotEqual(expected[0], TinyTiger.Parameters(new TigerRunFolder(fresh).LastCheckpoint, config, data.Index!)[0]);

        var info = new TigerRunFolder(continued).ReadInfo();
        Assert.Equal(new TigerRunFolder(source).BestCheckpoint, info.InitFrom!.Checkpoint);
        Assert.Equal(FileHash.Sha256(new TigerRunFolder(source).BestCheckpoint), info.InitFrom.Sha256);
        Assert.Null(new TigerRunFolder(fresh).ReadInfo().InitFrom);

        // the resume continues from the run's own checkpoint, not from the source again
        var resumed = TigerTrainer.Train(data, data.Index!, config, continued,
            options: new TigerTrainOptions { Resume = true, StopAfterSteps = 2 });
        Assert.Equal(2, resumed.State.GlobalStep);
        Assert.Equal(3, new TigerRunFolder(continued).ReadInfo().Config.Epochs);
    }

    [Fact]
    public void A_source_on_another_index_or_of_another_shape_is_refused_before_anything_is_written()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 30));
        var other = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("other").Also(Directory.CreateDirectory), users: 30, seed: 6));
        var config = TinyTiger.Config() with { Epochs = 1, BatchSize = 16 };
        var source = tmp.File("source");
        TigerTrainer.Train(data, data.Index!, config, source, options: new TigerTrainOptions { StopAfterSteps = 1 });
        var sourceConfig = new TigerRunFolder(source).ConfigFile;

        var target = tmp.File("target");
        var e = Assert.Throws<LetterDataException>(() => TigerTrainer.Train(other, other.Index!, config, target,
            options: new TigerTrainOptions { InitFrom = new TigerRunFolder(source).LastCheckpoint }));
        Assert.Equal(sourceConfig, e.File);
        Assert.Contains("was trained on another index", e.Message);

        e = Assert.Throws<LetterDataException>(() => TigerTrainer.Train(data, data.Index!, config with { DFf = 32 }, target,
            options: new TigerTrainOptions { InitFrom = new TigerRunFolder(source).LastCheckpoint }));
        Assert.Equal($"{sourceConfig}: describes a model with d_ff 64, this run's has 32 (initial weights need the same model shape)", e.Message);

        e = Assert.Throws<LetterDataException>(() => TigerTrainer.Train(data, data.Index!, config with { TextTokens = 3 }, target,
            options: new TigerTrainOptions { InitFrom = new TigerRunFolder(source).LastCheckpoint }));
        Assert.Contains("vocabulary size", e.Message);

        // a run folder means its best checkpoint, which a run stopped inside its first epoch lacks
        e = Assert.Throws<LetterDataException>(() => TigerTrainer.Train(data, data.Index!, config, target,
            options: new TigerTrainOptions { InitFrom = source }));
        Assert.Equal(new TigerRunFolder(source).BestCheckpoint, e.File);
        Assert.Contains("the run has not finished an epoch (pass its checkpoints/last.ckpt", e.Message);
        e = Assert.Throws<LetterDataException>(() => TigerTrainer.Train(data, data.Index!, config, target,
            options: new TigerTrainOptions { InitFrom = tmp.File("data") }));
        Assert.Equal(Path.Combine(tmp.File("data"), "config.json"), e.File);
        Assert.False(Directory.Exists(target));

        // from the command line: one line naming the missing checkpoint, exit 2, nothing written
        var err = new StringWriter();
        int code = CliApp.Run(["train", tmp.File("data"), "--out", target, "--init-from", tmp.File("nowhere")], new StringWriter(), err);
        Assert.Equal(2, code);
        Assert.Equal($"letter: {Path.GetFullPath(tmp.File("nowhere"))}: is missing: initial weights come from a TIGER run folder or one of its checkpoints", err.ToString().Trim());
        Assert.False(Directory.Exists(target));
    }
}
