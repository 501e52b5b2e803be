using System.Diagnostics;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.IO;
using Letter.Runs;
using Letter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>Options of one LC-Rec training call that are not part of the run's config.</summary>
public sealed record LcRecTrainOptions
{
    /// <summary>Continue from the run folder's last checkpoint (its config.json wins over the passed config).</summary>
    public bool Resume { get; init; }
    /// <summary>Train and validate on a fixed seeded sample of this many users.</summary>
    public int? MaxUsers { get; init; }
    /// <summary>The index file the identifiers came from, for its hash in config.json.</summary>
    public string? IndexFile { get; init; }
    /// <summary>Stop (after writing the last checkpoint) once this many optimizer steps are done in total.</summary>
    public long? StopAfterSteps { get; init; }
    /// <summary>One line per epoch and at start; null for silence.</summary>
    public IProgress<string>? Log { get; init; }
    /// <summary>Progress lines as a callback; wins over <see cref="Log"/>.</summary>
    public Action<string>? LogLine { get; init; }
    /// <summary>Where the epoch and validation bars go (null: nowhere).</summary>
    public IProgress<Letter.Progress.ProgressUpdate>? Progress { get; init; }
    /// <summary>Where the language model, its optimizer state, the batches and validation's decoding live (the CPU by default).</summary>
    public ComputeDevice Device { get; init; }
}

/// <summary>What a training call ended with.</summary>
public sealed record LcRecTrainResult(TrainerState State, string RunDirectory);

/// <summary>One training or validation sample as tokens: BOS + prompt, then the response (codes, EOS).</summary>
internal sealed record LcRecSequence(int[] Tokens, int PromptLength);

/// <summary>
/// Fine-tunes a language model for LC-Rec's sequential recommendation through the one
/// <see cref="Trainer"/>: this checks the run folder, the index and the base model and records the run;
/// <see cref="LcRecSession"/> supplies the LoRA adapters (and by default the embedding and head) as the
/// trained parameters, the ranking-guided loss of a batch of equal-length prompts and the PEFT checkpoints.
/// </summary>
public static class LcRecTrainer
{
    public static LcRecTrainResult Train(LetterDataset data, ItemIndex index, string baseModel, LcRecConfig config, string runDirectory,
        CancellationToken cancel = default, LcRecTrainOptions? options = null)
    {
        options ??= new LcRecTrainOptions();
        OutputPath.RequireFolder(runDirectory, "the run folder");
        var run = new LcRecRunFolder(runDirectory);
        Action<string>? log = options.LogLine ?? (options.Log is { } lines ? lines.Report : null);
        string indexHash = TrainingIndex.CheckAndHash(index, data, options.IndexFile);
        var resumed = options.Resume && run.Exists ? run.ReadInfo() : null;
        if (resumed is not null)
        {
            if (resumed.IndexSha256 != indexHash)
                throw new LetterDataException(options.IndexFile ?? run.IndexFile, null, $"differs from the index the run in {run.Directory} was started with");
            config = resumed.Config;
            baseModel = resumed.BaseModel;
        }
        else
        {
            if (run.Exists && Directory.Exists(run.LastCheckpoint))
                throw new ArgumentException($"{run.Directory} already holds a run; resume it or choose another output folder");
            config.Validate();
        }
        string fingerprint = LcRecRunFolder.Fingerprint(baseModel);
        if (resumed is not null && resumed.BaseModelFingerprint != fingerprint)
            throw new LetterDataException(baseModel, null, "differs from the base model the run was started with");

        var prepared = Trainer.Prepare(data, config, options.MaxUsers ?? resumed?.MaxUsers);
        // the model is moved to the device before the session makes the optimizer, whose state follows its parameters
        using var session = new LcRecSession(run, Build(baseModel, index, config, options.Device), config, baseModel, prepared);
        var result = Trainer.Run(session, run, config, prepared, () =>
        {
            Directory.CreateDirectory(run.Directory);
            run.WriteInfo(new LcRecRunInfo(config, data.Folder.Directory, options.IndexFile is null ? null : Path.GetFullPath(options.IndexFile), indexHash,
                Path.GetFullPath(baseModel), fingerprint, data.ItemCount, session.Model.Model.VocabularySize, options.MaxUsers, session.Parameters, session.TrainableParameters,
                DateTime.UtcNow.ToString("o"), RunVersions.Current()));
            index.Save(run.IndexFile);
            run.WritePopularity(prepared.Popularity);
            if (data.Items is not null) run.WriteTitles(Enumerable.Range(0, data.ItemCount).Select(data.Title).ToArray());
            RunIds.CopyInto(run, data.Folder);
        }, new TrainOptions
        {
            Resume = options.Resume,
            StopAfterSteps = options.StopAfterSteps,
            Log = log,
            Progress = options.Progress,
        }, cancel);
        return new LcRecTrainResult(result.State, result.RunDirectory);
    }

    /// <summary>
    /// The base model with identifier tokens and LoRA adapters, as every run of this config starts (seeded),
    /// built on the CPU and then moved to <paramref name="device"/>.
    /// </summary>
    public static LcRecModel Build(string baseModel, ItemIndex index, LcRecConfig config, ComputeDevice device = default)
    {
        using var checkpoint = LlmCheckpoint.Load(baseModel);
        // constructing the modules draws initial weights (all overwritten); keep the host's generator state
        using var seed = new TorchSeed(config.Seed);
        var lc = LcRecModel.Create(checkpoint, index, config.Seed);
        LoraAdapters.Apply(lc.Model, config.Lora, config.Seed + 1);
        lc.Model.to(device.ToTorch());
        return lc;
    }

    internal static LcRecSequence Encode(LcRecModel lc, Sample s)
    {
        var prompt = lc.PromptTokens(s.History);
        return new LcRecSequence([.. prompt, .. lc.ResponseTokens(s.Target)], prompt.Length);
    }

    internal static long LossTokens(IReadOnlyList<LcRecSequence> samples, int[] batch, LcRecLoss mode) =>
        batch.Sum(i => mode == LcRecLoss.Response ? (long)(samples[i].Tokens.Length - samples[i].PromptLength) : samples[i].Tokens.Length - 1);

    /// <summary>Mean ranking-guided loss of one batch of equal-length sequences.</summary>
    internal static Tensor BatchLoss(LlamaForCausalLM model, IReadOnlyList<LcRecSequence> samples, int[] batch, LcRecLoss mode, double temperature)
    {
        int length = samples[batch[0]].Tokens.Length;
        int prompt = samples[batch[0]].PromptLength;
        if (batch.Any(i => samples[i].Tokens.Length != length || samples[i].PromptLength != prompt))
            throw new ArgumentException("a batch must hold sequences of one length");
        var ids = tensor(batch.SelectMany(i => samples[i].Tokens.Select(t => (long)t)).ToArray(), [batch.Length, length], device: model.Device);
        var hidden = model.Hidden(ids.narrow(1, 0, length - 1));               // [B, T-1, D]: position t predicts token t+1
        if (mode == LcRecLoss.Response)
        {
            int response = length - prompt;
            // only the response's predictions go through the head (V-wide products for 5 positions, not T)
            var logits = model.Head(hidden.narrow(1, prompt - 1, response));  // [B, R, V]
            return RankingGuidedLoss.Compute(logits, ids.narrow(1, prompt, response), temperature);
        }
        return RankingGuidedLoss.Compute(model.Head(hidden), ids.narrow(1, 1, length - 1), temperature);
    }

    /// <summary>Teacher-forced loss of the responses (no dropout), mean per response token.</summary>
    internal static double ValidationLoss(LlamaForCausalLM model, IReadOnlyList<LcRecSequence> samples, LcRecConfig config)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            double sum = 0;
            foreach (var batch in Letter.Generation.LengthGroups.Sequential(samples.Select(s => s.Tokens.Length).ToList(), config.EvalBatchUsers))
            {
                using var scope = NewDisposeScope();
                sum += BatchLoss(model, samples, batch, LcRecLoss.Response, config.Temperature).item<float>() * batch.Length;
            }
            return sum / samples.Count;
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }
}
