using System.Diagnostics;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;
using Letter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>Options of one training call that are not part of the model's config.</summary>
public sealed record TigerTrainOptions
{
    /// <summary>Continue from the run folder's last checkpoint (its config.json wins over the passed config).</summary>
    public bool Resume { get; init; }
    /// <summary>Train and validate on a fixed seeded sample of this many users (quick checks).</summary>
    public int? MaxUsers { get; init; }
    /// <summary>The index file the identifiers came from, for its hash in config.json.</summary>
    public string? IndexFile { get; init; }
    /// <summary>Stop (after writing the last checkpoint) once this many optimizer steps are done in total.</summary>
    public long? StopAfterSteps { get; init; }
    /// <summary>A run folder or checkpoint whose model weights this new run starts from (ignored on resume: config.json keeps it).</summary>
    public string? InitFrom { get; init; }
    /// <summary>Progress lines (one per epoch, and a bar); null for silence.</summary>
    public TextWriter? Log { get; init; }
    /// <summary>Where the epoch bars go (null: nowhere).</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
    /// <summary>Progress lines as a callback (a host that does not hold a TextWriter); wins over <see cref="Log"/>.</summary>
    public Action<string>? LogLine { get; init; }
    /// <summary>Called after an epoch's last step, before its validation (a test seam for interrupts there).</summary>
    internal Action? BeforeValidation { get; init; }
    /// <summary>Where the model, its optimizer state, the batches and validation's decoding live (the CPU by default).</summary>
    public ComputeDevice Device { get; init; }
}

/// <summary>What a training call ended with.</summary>
public sealed record TigerTrainResult(TrainerState State, string RunDirectory);

/// <summary>
/// Trains TIGER through the one <see cref="Trainer"/>: this checks the run folder, the index and the
/// initial weights and records the run; <see cref="TigerSession"/> supplies the T5 model, its batch
/// loss, optimizer and checkpoints.
/// </summary>
public static class TigerTrainer
{
    public static TigerTrainResult Train(LetterDataset data, ItemIndex index, TigerConfig config, string runDirectory,
        CancellationToken cancel = default, TigerTrainOptions? options = null)
    {
        options ??= new TigerTrainOptions();
        OutputPath.RequireFolder(runDirectory, "the run folder");
        var run = new TigerRunFolder(runDirectory);
        Action<string>? log = options.LogLine ?? (options.Log is { } writer ? writer.WriteLine : null);
        string indexHash = TrainingIndex.CheckAndHash(index, data, options.IndexFile);
        var resumed = options.Resume && run.Exists ? run.ReadInfo() : null;
        if (resumed is not null)
        {
            if (resumed.IndexSha256 != indexHash)
                throw new LetterDataException(options.IndexFile ?? run.IndexFile, null, $"differs from the index the run in {run.Directory} was started with (SHA-256 {resumed.IndexSha256[..12]}...)");
            config = resumed.Config;
            if (options.InitFrom is not null)
                log?.Invoke($"the initial weights are ignored when resuming: the run continues from its own checkpoints{(resumed.InitFrom is { } i ? $" (it started from {i.Checkpoint})" : "")}");
        }
        else
        {
            if (run.Exists && File.Exists(run.LastCheckpoint))
                throw new ArgumentException($"{run.Directory} already holds a run: resume it or choose another run folder");
            config.Validate();
        }
        var vocabulary = TigerVocabulary.For(index, config.TextTokens);
        var info = resumed ?? new TigerRunInfo(config, Path.GetFullPath(data.Folder.Directory), options.IndexFile is null ? null : Path.GetFullPath(options.IndexFile),
            indexHash, data.ItemCount, vocabulary.CodebookSizes, vocabulary.Size, options.MaxUsers, 0, DateTime.UtcNow.ToString("o"),
            RunVersions.Current(), options.InitFrom is null ? null : InitialWeights.Resolve(options.InitFrom));
        if (resumed is null) info.InitFrom?.CheckFits(config, indexHash, vocabulary.Size);

        var prepared = Trainer.Prepare(data, config, info.MaxUsers);
        using var session = new TigerSession(run, info, index, config, vocabulary, prepared, options.Device);
        var result = Trainer.Run(session, run, config, prepared, () => session.BeginNewRun(data, index, prepared.Popularity, log), new TrainOptions
        {
            Resume = options.Resume,
            StopAfterSteps = options.StopAfterSteps,
            Log = log,
            Progress = options.Progress,
            BeforeValidation = options.BeforeValidation,
        }, cancel);
        return new TigerTrainResult(result.State, result.RunDirectory);
    }

    /// <summary>One optimizer step of a model in memory over one or more batches (see <see cref="Trainer.Step"/>); returns the loss.</summary>
    internal static double Step(TigerModel model, OptimizerHelper optimizer, IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets,
        IReadOnlyList<int[]> batches, TigerConfig config, double lr, long globalStep)
    {
        using var session = new TigerSession(model, optimizer, inputs, targets, config);
        return Trainer.Step(session, batches, config, lr, globalStep);
    }
}
