using Letter.Models.SasRec;
using Letter.Common;
using Letter.Data;
using Letter.Models.Tiger;

namespace Letter.Tests.Models.Tiger;

/// <summary>A loss that stops being a finite number ends training with a clear message and leaves the checkpoints as they were.</summary>
public class DivergenceTests
{
    [Fact]
    public void Tiger_NonFiniteLoss_Stops_AndKeepsTheLastGoodCheckpoint()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40));
        var config = TinyTiger.Config() with { Epochs = 2, BatchSize = 8 };
        var run = new TigerRunFolder(tmp.File("run"));
        TigerTrainer.Train(data, data.Index!, config, run.Directory, options: new TigerTrainOptions { StopAfterSteps = 2 });
        var good = File.ReadAllBytes(run.LastCheckpoint);

        // an infinite learning rate turns every weight into NaN at the first resumed step: the next loss is NaN
        var info = run.ReadInfo();
        run.WriteInfo(info with { Config = info.Config with { LearningRate = double.PositiveInfinity } });
        var e = Assert.Throws<TrainingDivergedException>(() =>
            TigerTrainer.Train(data, data.Index!, config, run.Directory, options: new TigerTrainOptions { Resume = true }));
        Assert.StartsWith("TIGER training stopped in epoch 1, step 4 of ", e.Message);
        Assert.Contains("the loss became ", e.Message);
        Assert.Contains("; the checkpoints written before it are kept (", e.Message);
        Assert.EndsWith("A lower learning rate usually avoids this", e.Message);
        Assert.Equal(good, File.ReadAllBytes(run.LastCheckpoint));
        Assert.False(File.Exists(run.BestCheckpoint));
    }

    [Fact]
    public void SasRec_NonFiniteLoss_Stops_AndWritesNothing()
    {
        using var tmp = new TempDir();
        var rng = new SplitMix64(3);
        var users = Enumerable.Range(0, 40).Select(u => new UserSequence(u.ToString(), Enumerable.Range(0, 8).Select(_ => rng.Next(20)).ToArray())).ToList();
        var config = new SasRecConfig { Dim = 8, Blocks = 1, MaxLen = 8, BatchSize = 8, Epochs = 2, LearningRate = double.PositiveInfinity };
        var outFile = tmp.File("cf.npy");
        var e = Assert.Throws<TrainingDivergedException>(() => SasRecTrainer.Train(users, 20, config, outFile));
        Assert.StartsWith("SASRec training stopped in epoch 1, step 2 of ", e.Message);
        Assert.Contains("the loss became NaN; nothing was written", e.Message);
        Assert.Empty(Directory.GetFiles(tmp.Path));
    }
}
