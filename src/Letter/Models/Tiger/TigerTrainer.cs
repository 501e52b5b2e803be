using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Training;
using TorchSharp.Modules;

namespace Letter.Models.Tiger;

/// <summary>Options of one TIGER training call that are not part of the model's config: the shared ones and the initial weights.</summary>
public sealed record TigerTrainOptions : TrainOptions
{
    public TigerTrainOptions() { }

    /// <summary>The shared options of a call (e.g. a <see cref="KindTrainRequest"/>'s), no initial weights.</summary>
    public TigerTrainOptions(TrainOptions shared) : base(shared) { }

    /// <summary>A run folder or checkpoint whose model weights this new run starts from (ignored on resume: config.json keeps it).</summary>
    public string? InitFrom { get; init; }
}

/// <summary>
/// Trains TIGER through the one <see cref="Trainer"/>: this checks the run folder, the index and the
/// initial weights and records the run; <see cref="TigerSession"/> supplies the T5 model, its batch
/// loss, optimizer and checkpoints.
/// </summary>
public static class TigerTrainer
{
    public static TrainResult Train(LetterDataset data, ItemIndex index, TigerConfig config, string runDirectory,
        CancellationToken cancel = default, TigerTrainOptions? options = null)
    {
        options ??= new TigerTrainOptions();
        OutputPath.RequireFolder(runDirectory, "the run folder");
        var run = new TigerRunFolder(runDirectory);
        var log = options.Log;
        var (resumed, indexHash) = RunStart.Check(run, run.LastCheckpoint, run.ReadInfo, data, index, config, options);
        if (resumed is not null)
        {
            config = resumed.Config;
            if (options.InitFrom is not null)
                log?.Invoke($"the initial weights are ignored when resuming: the run continues from its own checkpoints{(resumed.InitFrom is { } i ? $" (it started from {i.Checkpoint})" : "")}");
        }
        var vocabulary = TigerVocabulary.For(index, config.TextTokens);
        var info = resumed ?? new TigerRunInfo(config, Path.GetFullPath(data.Folder.Directory), options.IndexFile is null ? null : Path.GetFullPath(options.IndexFile),
            indexHash, data.ItemCount, vocabulary.CodebookSizes, vocabulary.Size, options.MaxUsers, 0, DateTime.UtcNow.ToString("o"),
            RunVersions.Current(), options.InitFrom is null ? null : InitialWeights.Resolve(options.InitFrom));
        if (resumed is null) info.InitFrom?.CheckFits(config, indexHash, vocabulary.Size);

        var prepared = Trainer.Prepare(data, config, info.MaxUsers);
        using var session = new TigerSession(run, info, index, config, vocabulary, prepared, options.Device);
        return Trainer.Run(session, run, config, prepared, () => session.BeginNewRun(index, log), options, cancel);
    }

    /// <summary>One optimizer step of a model in memory over one or more batches (see <see cref="Trainer.Step"/>); returns the loss.</summary>
    internal static double Step(TigerModel model, OptimizerHelper optimizer, IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets,
        IReadOnlyList<int[]> batches, TigerConfig config, double lr, long globalStep)
    {
        using var session = new TigerSession(model, optimizer, inputs, targets, config);
        return Trainer.Step(session, batches, config, lr, globalStep);
    }
}
