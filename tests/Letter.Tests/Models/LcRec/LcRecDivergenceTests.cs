using Letter.Common;
using Letter.Data;
using Letter.Models.LcRec;
using Letter.Tests.Models.Tiger;
using Letter.Training;

namespace Letter.Tests.Models.LcRec;

/// <summary>LC-Rec goes through the one trainer: a loss that stops being finite ends training with the checkpoints as they were.</summary>
public class LcRecDivergenceTests
{
    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void NonFiniteLoss_Stops_AndKeepsTheLastGoodCheckpoint()
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 16, items: 12, length: 6);
        var data = LetterDataset.Load(dir.Path);
        using var threads = new OneThread();
        var config = LcRecTrainerTests.Config(2);
        var run = new LcRecRunFolder(dir.File("run"));
        LcRecTrainer.Train(data, data.Index!, Stories.Path, config, run.Directory, options: new TrainOptions { StopAfterSteps = 2 });
        var weights = Path.Combine(run.LastCheckpoint, LoraAdapters.WeightsFile);
        var good = File.ReadAllBytes(weights);
        var state = File.ReadAllBytes(Path.Combine(run.LastCheckpoint, LcRecCheckpoint.StateFile));

        // an infinite learning rate turns the trained weights into NaN at the first resumed step: the next loss is NaN
        var info = run.ReadInfo();
        run.WriteInfo(info with { Config = info.Config with { LearningRate = double.PositiveInfinity } });
        var e = Assert.Throws<TrainingDivergedException>(() =>
            LcRecTrainer.Train(data, data.Index!, Stories.Path, config, run.Directory, options: new TrainOptions { Resume = true }));
        Assert.StartsWith("LC-Rec training stopped in epoch 1, step 4 of ", e.Message);
        Assert.Contains("; the checkpoints written before it are kept (", e.Message);
        Assert.EndsWith("A lower learning rate usually avoids this", e.Message);
        Assert.Equal(good, File.ReadAllBytes(weights));
        Assert.Equal(state, File.ReadAllBytes(Path.Combine(run.LastCheckpoint, LcRecCheckpoint.StateFile)));
        Assert.False(Directory.Exists(run.BestCheckpoint));
    }
}
