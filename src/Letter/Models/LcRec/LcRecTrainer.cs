using System.Diagnostics;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.IO;
using Letter.Models.Tiger;
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
    /// <summary>Where the epoch and validation bars go (null: nowhere).</summary>
    public IProgress<Letter.Progress.ProgressUpdate>? Progress { get; init; }
}

/// <summary>What a training call ended with.</summary>
public sealed record LcRecTrainResult(TrainerState State, string RunDirectory);

/// <summary>One training or validation sample as tokens: BOS + prompt, then the response (codes, EOS).</summary>
internal sealed record LcRecSequence(int[] Tokens, int PromptLength);

/// <summary>
/// Fine-tunes a language model for LC-Rec's sequential recommendation: LoRA adapters (and by default the
/// embedding and head) trained with the ranking-guided loss, AdamW, warm-up then cosine decay, gradient
/// clipping and accumulation, batches of equal sequence length (nothing padded), validation after each
/// epoch (Recall@10 and NDCG@10 of constrained beam search, and the teacher-forced loss), the best
/// checkpoint by NDCG@10, and the last one. LoRA dropout draws from a generator
/// seeded by (seed, step, batch), and batches by (seed, epoch), so a resumed run repeats exactly what an
/// uninterrupted one does.
/// </summary>
public static class LcRecTrainer
{
    public static LcRecTrainResult Train(LetterDataset data, ItemIndex index, string baseModel, LcRecConfig config, string runDirectory,
        CancellationToken cancel = default, LcRecTrainOptions? options = null)
    {
        options ??= new LcRecTrainOptions();
        OutputPath.RequireFolder(runDirectory, "the run folder");
        var run = new LcRecRunFolder(runDirectory);
        var log = options.Log;
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

        using var lc = Build(baseModel, index, config);
        var model = lc.Model;
        var users = TigerTrainer.SelectUsers(data.Users, options.MaxUsers ?? resumed?.MaxUsers, config.Seed);
        var split = LeaveOneOutSplit.Build(users, new SplitOptions(config.MaxHistory));
        var train = split.Train.Select(s => Encode(lc, s)).ToList();
        var validationSamples = Letter.Evaluation.RecommenderEvaluator.SampleUsers(split.Valid, config.ValidationUsers == 0 ? null : config.ValidationUsers, config.Seed);
        var validation = validationSamples.Select(s => Encode(lc, s)).ToList();
        var lengths = train.Select(t => t.Tokens.Length).ToList();
        var popularity = LeaveOneOutSplit.TrainingPopularity(users, data.ItemCount);

        var trainable = LoraAdapters.Trainable(model, config.Lora).Select(p => p.Parameter).ToList();
        long trainableCount = trainable.Sum(p => p.numel());
        long parameterCount = model.parameters().Sum(p => p.numel());
        var optimizer = optim.AdamW(trainable, config.LearningRate, weight_decay: config.WeightDecay);
        var state = new TrainerState();
        if (options.Resume && Directory.Exists(run.LastCheckpoint))
        {
            state = LcRecCheckpoint.Load(run.LastCheckpoint, lc, optimizer);
            log?.Report($"resumed from {run.LastCheckpoint}: epoch {state.Epoch + 1}, step {state.StepInEpoch} of the epoch, {state.GlobalStep} steps in total");
        }
        else
        {
            Directory.CreateDirectory(run.Directory);
            run.WriteInfo(new LcRecRunInfo(config, data.Folder.Directory, options.IndexFile is null ? null : Path.GetFullPath(options.IndexFile), indexHash,
                Path.GetFullPath(baseModel), fingerprint, data.ItemCount, model.VocabularySize, options.MaxUsers, parameterCount, trainableCount,
                DateTime.UtcNow.ToString("o"), RunVersions.Current()));
            index.Save(run.IndexFile);
            run.WritePopularity(popularity);
            if (data.Items is not null) new TigerRunFolder(run.Directory).WriteTitles(Enumerable.Range(0, data.ItemCount).Select(data.Title).ToArray());
        }
        if (state.Finished)
        {
            log?.Report($"the run is already finished ({state.StopReason})");
            return new LcRecTrainResult(state, run.Directory);
        }

        using var frozenRows = config.Lora.Embeddings == EmbeddingTraining.FreezeNewTokens ? FrozenRows.Capture(lc) : null;
        using var dropout = new Generator();
        foreach (var (_, layer) in model.Projections()) layer.SetDropoutGenerator(dropout);
        int stepsPerEpoch = TigerTrainer.OptimizerSteps(LengthBatcher.BatchCount(lengths, config.BatchSize), config.GradientAccumulation);
        long totalSteps = (long)stepsPerEpoch * config.Epochs;
        long warmup = Math.Max(1, (long)Math.Ceiling(config.WarmupFraction * totalSteps));
        log?.Report($"{train.Count:N0} training samples of {users.Count:N0} users, {stepsPerEpoch} optimizer steps per epoch, {validation.Count:N0} validation users, " +
                    $"{parameterCount:N0} parameters ({trainableCount:N0} trained), vocabulary {model.VocabularySize}, tau {config.Temperature}, loss on {config.Loss}");

        using var recommender = LcRecRecommender.Create(lc, popularity, config.Beam, config.MaxHistory);
        var sinceCheckpoint = Stopwatch.StartNew();
        var epochClock = Stopwatch.StartNew();
        double epochSecondsBefore = state.EpochSeconds;
        double trainingSecondsBefore = state.TrainingSeconds - state.EpochSeconds;
        void SaveProgress()
        {
            var seconds = epochSecondsBefore + epochClock.Elapsed.TotalSeconds;
            LcRecCheckpoint.Save(run.LastCheckpoint, lc, config.Lora, baseModel, state with { EpochSeconds = seconds, TrainingSeconds = trainingSecondsBefore + seconds }, optimizer);
        }

        for (int epoch = state.Epoch; !state.Finished && epoch < config.Epochs; epoch++)
        {
            var plan = LengthBatcher.Plan(lengths, config.BatchSize, config.Seed, epoch).Chunk(config.GradientAccumulation).ToList();
            double lr = 0;
            using var bar = new Letter.Progress.ProgressTask(options.Progress, $"epoch {epoch + 1}", plan.Count, start: state.StepInEpoch);
            for (int b = state.StepInEpoch; b < plan.Count; b++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveProgress();
                    cancel.ThrowIfCancellationRequested();
                }
                lr = TigerTrainer.LearningRate(config.LearningRate, state.GlobalStep, warmup, totalSteps);
                double loss = Step(model, optimizer, trainable, train, plan[b], config, lr, state.GlobalStep, dropout);
                frozenRows?.Restore(lc);
                state = state with
                {
                    StepInEpoch = b + 1,
                    GlobalStep = state.GlobalStep + 1,
                    EpochLossSum = state.EpochLossSum + loss,
                    EpochLossCount = state.EpochLossCount + 1,
                };
                bar.Advance(1, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"loss {state.EpochLossSum / state.EpochLossCount:F4}"));
                bool stopNow = options.StopAfterSteps is long stop && state.GlobalStep >= stop;
                if (stopNow || (config.CheckpointMinutes > 0 && sinceCheckpoint.Elapsed.TotalMinutes >= config.CheckpointMinutes))
                {
                    SaveProgress();
                    sinceCheckpoint.Restart();
                }
                if (stopNow) return new LcRecTrainResult(state, run.Directory);
            }

            RecommenderEvaluation evaluation;
            double validLoss;
            try
            {
                // decoding runs the adapters unmerged: training continues after it
                bar.Finish();
                evaluation = RecommenderEvaluator.Evaluate(recommender, validationSamples, DataSplit.Valid, null, config.Seed, config.EvalBatchUsers, options.Progress, cancel);
                validLoss = ValidationLoss(model, validation, config);
            }
            catch (OperationCanceledException)
            {
                SaveProgress();
                throw;
            }
            double epochSeconds = epochSecondsBefore + epochClock.Elapsed.TotalSeconds;
            var record = new EpochRecord(epoch + 1, state.EpochLossSum / Math.Max(1, state.EpochLossCount), evaluation.IdentifierMatch["recall@10"],
                evaluation.IdentifierMatch["ndcg@10"], Math.Round(epochSeconds, 1), lr, state.EpochLossCount, validLoss);
            bool improved = record.ValidNdcg10 > state.BestNdcg10;
            double trainingSeconds = trainingSecondsBefore + epochSeconds;
            string? stopReason = epoch + 1 >= config.Epochs ? $"{config.Epochs} epochs done"
                : TigerTrainer.NextEpochExceedsBudget(trainingSeconds, epochSeconds, config.TimeBudgetMinutes)
                    ? $"time budget of {config.TimeBudgetMinutes} min: another epoch would end after it" : null;
            state = new TrainerState
            {
                Epoch = epoch + 1,
                GlobalStep = state.GlobalStep,
                TrainingSeconds = trainingSeconds,
                BestNdcg10 = improved ? record.ValidNdcg10 : state.BestNdcg10,
                BestValidLoss = improved ? validLoss : state.BestValidLoss,
                BestEpoch = improved ? epoch + 1 : state.BestEpoch,
                EpochsWithoutImprovement = improved ? 0 : state.EpochsWithoutImprovement + 1,
                Finished = stopReason is not null,
                StopReason = stopReason,
                Curve = state.Curve.Append(record).ToList(),
            };
            if (improved) LcRecCheckpoint.Save(run.BestCheckpoint, lc, config.Lora, baseModel, state, null);
            LcRecCheckpoint.Save(run.LastCheckpoint, lc, config.Lora, baseModel, state, optimizer);
            AtomicFile.WriteAllText(run.CurveFile, JsonSerializer.Serialize(state.Curve, TigerRunFolder.Json));
            log?.Report($"epoch {epoch + 1}: train loss {record.TrainLoss:F4}, valid loss {validLoss:F4} R@10 {record.ValidRecall10:F4} N@10 {record.ValidNdcg10:F4}" +
                        $"{(improved ? " (best)" : "")}, {epochSeconds:F0} s (beam search {evaluation.Seconds:F0} s), lr {lr:E2}");
            sinceCheckpoint.Restart();
            epochClock.Restart();
            epochSecondsBefore = 0;
            trainingSecondsBefore = trainingSeconds;
        }
        return new LcRecTrainResult(state, run.Directory);
    }

    /// <summary>The base model with identifier tokens and LoRA adapters, as every run of this config starts (seeded).</summary>
    public static LcRecModel Build(string baseModel, ItemIndex index, LcRecConfig config)
    {
        using var checkpoint = LlmCheckpoint.Load(baseModel);
        // constructing the modules draws initial weights (all overwritten); keep the host's generator state
        using var seed = new TorchSeed(config.Seed);
        var lc = LcRecModel.Create(checkpoint, index, config.Seed);
        LoraAdapters.Apply(lc.Model, config.Lora, config.Seed + 1);
        return lc;
    }

    internal static LcRecSequence Encode(LcRecModel lc, Sample s)
    {
        var prompt = lc.PromptTokens(s.History);
        return new LcRecSequence([.. prompt, .. lc.ResponseTokens(s.Target)], prompt.Length);
    }

    /// <summary>
    /// One optimizer step over one or more batches (gradient accumulation); returns the loss. Each batch's
    /// loss is weighted by its share of the step's loss tokens, so the gradient is that of one batch
    /// holding them all.
    /// </summary>
    internal static double Step(LlamaForCausalLM model, OptimizerHelper optimizer, IReadOnlyList<Parameter> trainable, IReadOnlyList<LcRecSequence> samples,
        IReadOnlyList<int[]> batches, LcRecConfig config, double lr, long globalStep, Generator dropout)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        model.train();
        optimizer.zero_grad();
        double total = batches.Sum(b => LossTokens(samples, b, config.Loss)), loss = 0;
        for (int m = 0; m < batches.Count; m++)
        {
            using var scope = NewDisposeScope();
            dropout.manual_seed(unchecked((long)((ulong)config.Seed * 1_000_003UL + (ulong)globalStep + ((ulong)m << 40))));
            var batchLoss = BatchLoss(model, samples, batches[m], config.Loss, config.Temperature);
            double weight = LossTokens(samples, batches[m], config.Loss) / total;
            (batchLoss * weight).backward();
            loss += weight * batchLoss.item<float>();
        }
        using (NewDisposeScope())
        {
            if (config.GradientClip > 0) nn.utils.clip_grad_norm_(trainable, config.GradientClip);
            optimizer.step();
        }
        return loss;
    }

    private static long LossTokens(IReadOnlyList<LcRecSequence> samples, int[] batch, LcRecLoss mode) =>
        batch.Sum(i => mode == LcRecLoss.Response ? (long)(samples[i].Tokens.Length - samples[i].PromptLength) : samples[i].Tokens.Length - 1);

    /// <summary>Mean ranking-guided loss of one batch of equal-length sequences.</summary>
    internal static Tensor BatchLoss(LlamaForCausalLM model, IReadOnlyList<LcRecSequence> samples, int[] batch, LcRecLoss mode, double temperature)
    {
        int length = samples[batch[0]].Tokens.Length;
        int prompt = samples[batch[0]].PromptLength;
        if (batch.Any(i => samples[i].Tokens.Length != length || samples[i].PromptLength != prompt))
            throw new ArgumentException("a batch must hold sequences of one length");
        var ids = tensor(batch.SelectMany(i => samples[i].Tokens.Select(t => (long)t)).ToArray(), [batch.Length, length]);
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

    /// <summary>The identifier-token rows kept at their initial values (<see cref="EmbeddingTraining.FreezeNewTokens"/>).</summary>
    private sealed class FrozenRows : IDisposable
    {
        private readonly Tensor _embedding;
        private readonly Tensor? _head;

        private FrozenRows(Tensor embedding, Tensor? head)
        {
            _embedding = embedding;
            _head = head;
        }

        public static FrozenRows Capture(LcRecModel lc)
        {
            using var noGrad = no_grad();
            long rows = lc.Model.VocabularySize - lc.BaseRows;
            var e = lc.Model.EmbeddingWeight.narrow(0, lc.BaseRows, rows).clone().DetachFromDisposeScope();
            var h = lc.Model.Config.TieWordEmbeddings ? null : lc.Model.HeadWeight.narrow(0, lc.BaseRows, rows).clone().DetachFromDisposeScope();
            return new FrozenRows(e, h);
        }

        /// <summary>Puts the rows back after an optimizer step (AdamW's decay would move them even with zero gradients).</summary>
        public void Restore(LcRecModel lc)
        {
            using var noGrad = no_grad();
            lc.Model.EmbeddingWeight.narrow(0, lc.BaseRows, _embedding.shape[0]).copy_(_embedding);
            if (_head is not null) lc.Model.HeadWeight.narrow(0, lc.BaseRows, _head.shape[0]).copy_(_head);
        }

        public void Dispose()
        {
            _embedding.Dispose();
            _head?.Dispose();
        }
    }
}
