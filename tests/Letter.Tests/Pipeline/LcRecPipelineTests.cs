using Letter.Models.LcRec;
using Letter.Pipeline;
using Letter.Tests.Models.LcRec;

namespace Letter.Tests.Pipeline;

/// <summary>
/// The pipeline's LC-Rec stage follows the same stage rules as TIGER's: a run-only change (threads, beam,
/// evaluation batch, checkpoint interval) re-evaluates the trained adapters, a trained setting retrains
/// with the old stage moved aside.
/// </summary>
public class LcRecPipelineTests
{
    private static RunConfig Config(TempDir dir) => RunPipelineTests.TinyConfig(dir) with
    {
        Recommender = "lc-rec",
        BaseModel = Stories.Path,
        LcRec = new LcRecConfig
        {
            MaxHistory = 3, Epochs = 1, BatchSize = 32, GradientAccumulation = 1, LearningRate = 1e-3, ValidationUsers = 10,
            CheckpointMinutes = 0, Beam = 5, EvalBatchUsers = 32,
        },
        EvalMaxUsers = 20,
    };

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void RunOnlyChange_ReEvaluates_KeepingTheAdapters_ATrainedChange_MovesTheOldStageAside()
    {
        using var dir = new TempDir();
        var config = Config(dir);
        using var threads = new OneThread();
        var (first, log1) = RunPipelineTests.Run(config);
        Assert.Contains("[lc-rec] running (not run yet)", log1);
        Assert.Equal("LETTER-LC-Rec", Assert.Single(first.Results).Model);
        var stage = Path.Combine(first.RunDirectory, "lc-rec");
        var adapter = Path.Combine(stage, "checkpoints", "best", LoraAdapters.WeightsFile);
        var adapterBytes = File.ReadAllBytes(adapter);
        var adapterTime = File.GetLastWriteTimeUtc(adapter);

        var evalOnly = config with { LcRec = config.LcRec with { Threads = 1, Beam = 4, EvalBatchUsers = 7, CheckpointMinutes = 1 } };
        var (second, log2) = RunPipelineTests.Run(evalOnly);
        Assert.Contains("[lc-rec] re-evaluating, the trained model kept (run settings changed: lc_rec.beam, lc_rec.checkpoint_minutes, lc_rec.eval_batch_users, lc_rec.threads)", log2);
        Assert.DoesNotContain("epoch 1:", log2);
        Assert.Equal(adapterBytes, File.ReadAllBytes(adapter));
        Assert.Equal(adapterTime, File.GetLastWriteTimeUtc(adapter));
        var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(stage, "metrics.json"))).RootElement;
        Assert.Equal(4, metrics.GetProperty("beam").GetInt32());
        Assert.Equal(20, second.Results[0].Users);

        var (_, log3) = RunPipelineTests.Run(evalOnly with { LcRec = evalOnly.LcRec with { LearningRate = 5e-4 } });
        Assert.Contains("[lc-rec] running (settings changed)", log3);
        var aside = Assert.Single(Directory.GetDirectories(first.RunDirectory, "lc-rec.replaced-*"));
        Assert.Contains($"[lc-rec] the previous lc-rec/ (settings changed) moved aside to {Path.GetFileName(aside)}/, not deleted", log3);
        Assert.Equal(adapterBytes, File.ReadAllBytes(Path.Combine(aside, "checkpoints", "best", LoraAdapters.WeightsFile)));
    }
}
