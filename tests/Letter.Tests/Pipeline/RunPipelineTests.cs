using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Pipeline;
using Letter.Models.Tiger;
using Letter.Tokenization;

namespace Letter.Tests.Pipeline;

/// <summary>
/// The pipeline on a tiny synthetic dataset with given embeddings (no text encoder, no SASRec) and
/// tiny models: every stage writes its manifest, a rerun reuses them, a changed setting reruns only
/// the stages it feeds, and an unfinished stage is resumed rather than restarted.
/// </summary>
public class RunPipelineTests
{
    internal static RunConfig TinyConfig(TempDir dir)
    {
        var folder = SyntheticDataset.Write(dir.File("data"), SynthOptions.Default with { Users = 120, Items = 60 });
        var rng = new Letter.Common.SplitMix64(3);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        NpyFile.Write(dir.File("sem.npy"), new FloatMatrix(Random(60 * 16), 60, 16));
        NpyFile.Write(dir.File("cf.npy"), new FloatMatrix(Random(60 * 8), 60, 8));
        return new RunConfig
        {
            Data = folder.Directory,
            Out = dir.File("run"),
            Semantic = dir.File("sem.npy"),
            Cf = dir.File("cf.npy"),
            Tokenizer = new TokenizerConfig
            {
                HiddenLayers = [16], LatentDim = 8, CodebookSizes = [4, 4, 8], SinkhornEpsilons = [0, 0, 0.003],
                Clusters = 2, MaxEpochs = 3, MinEpochs = 1, BatchSize = 64, KMeansRestarts = 1,
            },
            Tiger = new TigerConfig
            {
                DModel = 16, DFf = 32, DKv = 8, Heads = 2, EncoderLayers = 1, DecoderLayers = 1,
                Epochs = 1, BatchSize = 64, ValidationUsers = 20, Beam = 5,
            },
            EvalMaxUsers = 30,
        };
    }

    internal static (RunSummary Summary, string Log) Run(RunConfig config)
    {
        var log = new StringWriter();
        var bars = Letter.Cli.Progress.ProgressBar.Enabled;
        Letter.Cli.Progress.ProgressBar.Enabled = false;
        try
        {
            return (new RunPipeline(config, log).Run(), log.ToString());
        }
        finally
        {
            Letter.Cli.Progress.ProgressBar.Enabled = bars;
        }
    }

    [Fact]
    public void Rerun_ReusesFinishedStages_AndReruns_OnlyWhatAChangeFeeds()
    {
        using var dir = new TempDir();
        var config = TinyConfig(dir);
        var (first, log1) = Run(config);
        Assert.Contains("[tokenizer] running (not run yet)", log1);
        Assert.Contains("[tiger] running (not run yet)", log1);
        Assert.True(File.Exists(Path.Combine(first.RunDirectory, "tokenizer", StageManifest.FileName)));
        Assert.True(File.Exists(first.ReportHtml));
        var letter = Assert.Single(first.Results);
        Assert.Equal("LETTER-TIGER", letter.Model);
        Assert.Equal(30, letter.Users);
        Assert.InRange(letter.Metrics["recall@10"], 0, 1);

        // Every identifier is unique: the tokenizer stage guarantees it.
        var index = ItemIndexReader.Read(Path.Combine(first.RunDirectory, "tokenizer", "Synth.index.json"));
        Assert.Equal(60, index.Codes.Select(c => string.Join(',', c)).Distinct().Count());

        var (_, log2) = Run(config);
        Assert.Contains("[tokenizer] up to date, reused", log2);
        Assert.Contains("[tiger] up to date, reused", log2);

        var (_, log3) = Run(config with { Tiger = config.Tiger with { Temperature = 1.0 } });
        Assert.Contains("[tokenizer] up to date, reused", log3);
        Assert.Contains("[tiger] running (settings changed)", log3);
    }

    [Fact]
    public void RunOnlyChange_ReEvaluates_KeepingTheCheckpoints_ATrainedChange_MovesTheOldModelAside()
    {
        using var dir = new TempDir();
        var config = TinyConfig(dir);
        var (first, _) = Run(config);
        var tiger = Path.Combine(first.RunDirectory, "tiger");
        var best = Path.Combine(tiger, "checkpoints", "best.ckpt");
        var bestBytes = File.ReadAllBytes(best);
        var bestTime = File.GetLastWriteTimeUtc(best);
        var metricsTime = File.GetLastWriteTimeUtc(Path.Combine(tiger, "metrics.json"));

        var evalOnly = config with
        {
            Tiger = config.Tiger with { Threads = 1, Beam = 4, EvalBatchUsers = 7, CheckpointMinutes = 1 },
            Tokenizer = config.Tokenizer with { Threads = 1 },
        };
        var (second, log) = Run(evalOnly);
        Assert.Contains("[tokenizer] reused: the trained outputs are kept (run settings changed: threads)", log);
        Assert.Contains("[tiger] re-evaluating, the trained model kept (run settings changed: tiger.beam, tiger.checkpoint_minutes, tiger.eval_batch_users, tiger.threads)", log);
        Assert.DoesNotContain("epoch 1:", log);
        Assert.Equal(bestBytes, File.ReadAllBytes(best));
        Assert.Equal(bestTime, File.GetLastWriteTimeUtc(best));
        Assert.True(File.GetLastWriteTimeUtc(Path.Combine(tiger, "metrics.json")) > metricsTime);
        var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(tiger, "metrics.json"))).RootElement;
        Assert.Equal(4, metrics.GetProperty("beam").GetInt32());
        Assert.Equal(30, second.Results[0].Users);
        Assert.Contains("[tiger] up to date, reused", Run(evalOnly).Log);

        var (_, log3) = Run(evalOnly with { Tiger = evalOnly.Tiger with { LearningRate = 1e-3 } });
        Assert.Contains("[tiger] running (settings changed)", log3);
        var aside = Assert.Single(Directory.GetDirectories(first.RunDirectory, "tiger.replaced-*"));
        Assert.Contains($"[tiger] the previous tiger/ (settings changed) moved aside to {Path.GetFileName(aside)}/, not deleted", log3);
        Assert.Equal(bestBytes, File.ReadAllBytes(Path.Combine(aside, "checkpoints", "best.ckpt")));
    }

    [Fact]
    public void UnfinishedStage_IsResumed_NotRestarted()
    {
        using var dir = new TempDir();
        var config = TinyConfig(dir);
        var (first, _) = Run(config);
        var tiger = Path.Combine(first.RunDirectory, "tiger");
        // As if the process died after the last checkpoint but before evaluation finished.
        File.Delete(Path.Combine(tiger, StageManifest.FileName));
        File.Delete(Path.Combine(tiger, "metrics.json"));
        var checkpoint = File.GetLastWriteTimeUtc(Path.Combine(tiger, "checkpoints", "last.ckpt"));

        var (second, log) = Run(config);
        Assert.Contains("[tokenizer] up to date, reused", log);
        Assert.Contains("[tiger] resuming (not finished)", log);
        Assert.Equal(checkpoint, File.GetLastWriteTimeUtc(Path.Combine(tiger, "checkpoints", "last.ckpt")));
        Assert.Equal(first.Results[0].Metrics, second.Results[0].Metrics);
    }

    [Fact]
    public void UnfinishedStage_WhoseTrainedSettingsChanged_IsMovedAside_NotResumedUnderItsOldConfig()
    {
        using var dir = new TempDir();
        var config = TinyConfig(dir);
        var (first, _) = Run(config);
        var tiger = Path.Combine(first.RunDirectory, "tiger");
        File.Delete(Path.Combine(tiger, StageManifest.FileName));

        // a run-only change still resumes (the run's own config.json decides how it trains)
        var (_, resumed) = Run(config with { Tiger = config.Tiger with { Threads = 1 } });
        Assert.Contains("[tiger] resuming (not finished)", resumed);

        File.Delete(Path.Combine(tiger, StageManifest.FileName));
        var (_, log) = Run(config with { Tiger = config.Tiger with { Dropout = 0 } });
        Assert.Contains("[tiger] running (not finished, and its settings changed since it started)", log);
        Assert.Single(Directory.GetDirectories(first.RunDirectory, "tiger.replaced-*"));
        Assert.Equal(0, new TigerRunFolder(tiger).ReadInfo().Config.Dropout);
    }

    [Fact]
    public void MissingData_IsAConfigError()
    {
        var e = Assert.Throws<LetterConfigException>(() => new RunPipeline(new RunConfig(), TextWriter.Null).Run());
        Assert.Equal("data: the dataset folder is required", e.Message);
    }
}
