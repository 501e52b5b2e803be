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
    /// <summary>Called after an epoch's last step, before its validation (a test seam for interrupts there).</summary>
    internal Action? BeforeValidation { get; init; }
}

/// <summary>What a training call ended with.</summary>
public sealed record TigerTrainResult(TrainerState State, string RunDirectory);

/// <summary>
/// Trains TIGER with the ranking-guided loss: AdamW, linear warm-up then cosine decay, gradient
/// clipping, length-grouped batches, validation (Recall@10, NDCG@10 and the teacher-forced loss on a
/// fixed user sample) after every epoch, early stopping on NDCG@10 or the loss, best and last
/// checkpoints. Dropout draws from a generator seeded by (seed, step), so a resumed run repeats
/// exactly what an uninterrupted one does.
/// </summary>
public static class TigerTrainer
{
    public static TigerTrainResult Train(LetterDataset data, ItemIndex index, TigerConfig config, string runDirectory,
        CancellationToken cancel = default, TigerTrainOptions? options = null)
    {
        options ??= new TigerTrainOptions();
        OutputPath.RequireFolder(runDirectory, "the run folder");
        var run = new TigerRunFolder(runDirectory);
        var log = options.Log;
        string indexHash = TrainingIndex.CheckAndHash(index, data, options.IndexFile);
        var resumed = options.Resume && run.Exists ? run.ReadInfo() : null;
        if (resumed is not null)
        {
            if (resumed.IndexSha256 != indexHash)
                throw new LetterDataException(options.IndexFile ?? run.IndexFile, null, $"differs from the index the run in {run.Directory} was started with (SHA-256 {resumed.IndexSha256[..12]}...)");
            config = resumed.Config;
            if (options.InitFrom is not null)
                log?.WriteLine($"the initial weights are ignored when resuming: the run continues from its own checkpoints{(resumed.InitFrom is { } i ? $" (it started from {i.Checkpoint})" : "")}");
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

        var users = info.TrainingUsers(data);
        var split = LeaveOneOutSplit.Build(users, new SplitOptions(config.MaxHistory));
        var (inputs, targets) = vocabulary.EncodeSamples(index, split.Train);
        var lengths = inputs.Select(i => i.Length).ToList();
        var validation = RecommenderEvaluator.SampleUsers(split.Valid, config.ValidationUsers == 0 ? null : config.ValidationUsers, config.Seed);
        var (validationInputs, validationTargets) = vocabulary.EncodeSamples(index, validation);
        var popularity = LeaveOneOutSplit.TrainingPopularity(users, data.ItemCount);

        using var seed = new TorchSeed(config.Seed);
        var model = new TigerModel(config, vocabulary.Size);
        long parameterCount = model.parameters().Sum(p => p.numel());
        var optimizer = TigerOptimizer.Create(model, config);
        var state = new TrainerState();
        if (options.Resume && File.Exists(run.LastCheckpoint))
        {
            state = TigerCheckpoint.Load(run.LastCheckpoint, model, optimizer);
            log?.WriteLine($"resumed from {run.LastCheckpoint}: epoch {state.Epoch + 1}, step {state.StepInEpoch} of the epoch, {state.GlobalStep} steps in total");
        }
        else
        {
            if (info.InitFrom is { } initial)
            {
                initial.LoadInto(model);
                log?.WriteLine($"weights from {initial.Checkpoint}; optimizer, schedule and epochs start afresh");
            }
            Directory.CreateDirectory(run.Directory);
            run.WriteInfo(info with { Parameters = parameterCount });
            index.Save(run.IndexFile);
            run.WritePopularity(popularity);
            if (data.Items is not null) run.WriteTitles(Enumerable.Range(0, data.ItemCount).Select(data.Title).ToArray());
        }
        if (state.Finished && !FinalSelection.IsNeeded(state, config, validation.Count, split.Valid.Count))
        {
            log?.WriteLine($"the run is already finished ({state.StopReason})");
            return new TigerTrainResult(state, run.Directory);
        }

        int stepsPerEpoch = OptimizerSteps(LengthBatcher.BatchCount(lengths, config.BatchSize, config.Batching), config.GradientAccumulation);
        long totalSteps = (long)stepsPerEpoch * config.Epochs;
        long warmup = Math.Max(1, (long)Math.Ceiling(config.WarmupFraction * totalSteps));
        string accumulation = config.GradientAccumulation > 1 ? $" of {config.GradientAccumulation} batches of {config.BatchSize}" : "";
        log?.WriteLine($"{split.Train.Count:N0} training samples of {users.Count:N0} users, {stepsPerEpoch} optimizer steps{accumulation} per epoch, " +
                       $"{validation.Count:N0} validation users, {parameterCount:N0} parameters, vocabulary {vocabulary.Size}, tau {config.Temperature}" +
                       (config.Batching == TigerBatching.Random ? ", random batches padded to their longest input" : ""));
        log?.WriteLine($"{torch.get_num_threads()} threads, {(config.Bf16 ? "bf16" : "fp32")} products; {MklCpuDispatch.Status}");

        using var recommender = TigerRecommender.Create(model, index, popularity, config.Beam);
        var sinceCheckpoint = Stopwatch.StartNew();
        var epochClock = Stopwatch.StartNew();
        double epochSecondsBefore = state.EpochSeconds;
        double trainingSecondsBefore = state.TrainingSeconds - state.EpochSeconds;
        // the last checkpoint mid-epoch: the steps so far and the time they took
        void SaveProgress()
        {
            var seconds = epochSecondsBefore + epochClock.Elapsed.TotalSeconds;
            SaveLast(run, model, optimizer, state with { EpochSeconds = seconds, TrainingSeconds = trainingSecondsBefore + seconds });
        }

        for (int epoch = state.Epoch; !state.Finished && epoch < config.Epochs; epoch++)
        {
            var plan = LengthBatcher.Plan(lengths, config.Batching, config.BatchSize, config.Seed, epoch).Chunk(config.GradientAccumulation).ToList();
            using var bar = new ProgressTask(options.Progress, $"epoch {epoch + 1}", plan.Count, start: state.StepInEpoch);
            bar?.Report(state.StepInEpoch);
            double lr = 0;
            for (int b = state.StepInEpoch; b < plan.Count; b++)
            {
                if (cancel.IsCancellationRequested)
                {
                    SaveProgress();
                    cancel.ThrowIfCancellationRequested();
                }
                lr = LearningRate(config.LearningRate, state.GlobalStep, warmup, totalSteps);
                double loss;
                try
                {
                    loss = Step(model, optimizer, inputs, targets, plan[b], config, lr, state.GlobalStep);
                }
                catch (TrainingDivergedException e)
                {
                    // nothing is saved here: the checkpoints on disk are the last good state
                    throw new TrainingDivergedException(
                        $"TIGER training stopped in epoch {epoch + 1}, step {b + 1} of {plan.Count} (learning rate {lr:G3}): {e.Message}; " +
                        (File.Exists(run.LastCheckpoint)
                            ? $"the checkpoints written before it are kept ({run.LastCheckpoint})"
                            : "no checkpoint had been written yet") +
                        ". A lower learning rate usually avoids this");
                }
                state = state with
                {
                    StepInEpoch = b + 1,
                    GlobalStep = state.GlobalStep + 1,
                    EpochLossSum = state.EpochLossSum + loss,
                    EpochLossCount = state.EpochLossCount + 1,
                };
                bar?.Advance(1, $"loss {state.EpochLossSum / state.EpochLossCount:F4}");
                bool stopNow = options.StopAfterSteps is long stop && state.GlobalStep >= stop;
                if (stopNow || (config.CheckpointMinutes > 0 && sinceCheckpoint.Elapsed.TotalMinutes >= config.CheckpointMinutes))
                {
                    SaveProgress();
                    sinceCheckpoint.Restart();
                }
                if (stopNow) return new TigerTrainResult(state, run.Directory);
            }
            bar?.Finish();

            options.BeforeValidation?.Invoke();
            RecommenderEvaluation evaluation;
            double validLoss, lossSeconds;
            try
            {
                evaluation = RecommenderEvaluator.Evaluate(recommender, validation, DataSplit.Valid, null, config.Seed, config.EvalBatchUsers, cancel: cancel);
                var lossClock = Stopwatch.StartNew();
                validLoss = TeacherForcedLoss.Compute(model, validationInputs, validationTargets, config.Temperature, config.BatchSize);
                lossSeconds = lossClock.Elapsed.TotalSeconds;
            }
            catch (OperationCanceledException)
            {
                // the epoch's steps are done: keep them, so that a resume goes straight to this validation
                SaveProgress();
                throw;
            }
            model.train();
            double epochSeconds = epochSecondsBefore + epochClock.Elapsed.TotalSeconds;
            var record = new EpochRecord(epoch + 1, state.EpochLossSum / Math.Max(1, state.EpochLossCount),
                evaluation.IdentifierMatch["recall@10"], evaluation.IdentifierMatch["ndcg@10"], Math.Round(epochSeconds, 1), lr, state.EpochLossCount, validLoss);
            var curve = state.Curve.Append(record).ToList();
            bool improved = Improves(config.SelectBy, state, record);
            int bad = improved ? 0 : state.EpochsWithoutImprovement + 1;
            double trainingSeconds = trainingSecondsBefore + epochSeconds;
            string criterion = config.SelectBy == SelectionMetric.Loss ? "lower validation loss" : "better validation NDCG@10";
            string? stopReason = bad >= config.Patience ? $"early stop: no {criterion} for {bad} epochs"
                : epoch + 1 >= config.Epochs ? $"{config.Epochs} epochs done"
                : NextEpochExceedsBudget(trainingSeconds, epochSeconds, config.TimeBudgetMinutes)
                    ? $"time budget of {config.TimeBudgetMinutes} min: another epoch (about {epochSeconds / 60:F0} min) would end after it ({trainingSeconds / 60:F0} min used)"
                : null;
            state = new TrainerState
            {
                Epoch = epoch + 1,
                GlobalStep = state.GlobalStep,
                TrainingSeconds = trainingSeconds,
                BestNdcg10 = improved ? record.ValidNdcg10 : state.BestNdcg10,
                BestValidLoss = improved ? validLoss : state.BestValidLoss,
                BestEpoch = improved ? epoch + 1 : state.BestEpoch,
                EpochsWithoutImprovement = bad,
                Finished = stopReason is not null,
                StopReason = stopReason,
                Curve = curve,
            };
            if (improved) TigerCheckpoint.Save(run.BestCheckpoint, model, state, null);
            SaveLast(run, model, optimizer, state);
            AtomicFile.WriteAllText(run.CurveFile, JsonSerializer.Serialize(curve, TigerRunFolder.Json));
            log?.WriteLine($"epoch {epoch + 1}: train loss {record.TrainLoss:F4}, valid loss {validLoss:F4} R@10 {record.ValidRecall10:F4} N@10 {record.ValidNdcg10:F4}" +
                           $"{(improved ? " (best)" : "")}, {epochSeconds:F0} s ({epochSeconds / Math.Max(1, record.Steps):F3} s/step incl. validation: " +
                           $"beam search {evaluation.Seconds:F0} s, loss {lossSeconds:F1} s), lr {lr:E2}");
            sinceCheckpoint.Restart();
            epochClock.Restart();
            epochSecondsBefore = 0;
            trainingSecondsBefore = trainingSeconds;
            if (stopReason is not null)
            {
                log?.WriteLine($"stopped: {stopReason}; best epoch {state.BestEpoch} (valid N@10 {state.BestNdcg10:F4}, loss {state.BestValidLoss:F4})");
                break;
            }
        }
        if (FinalSelection.IsNeeded(state, config, validation.Count, split.Valid.Count))
        {
            state = FinalSelection.Make(run, recommender, state, config, split.Valid, options.Progress, log, cancel);
            SaveLast(run, model, optimizer, state);
        }
        return new TigerTrainResult(state, run.Directory);
    }

    /// <summary>Whether an epoch beats the best so far by the run's criterion (a tie does not: the earlier epoch stays).</summary>
    internal static bool Improves(SelectionMetric selectBy, TrainerState best, EpochRecord epoch) =>
        selectBy == SelectionMetric.Loss
            ? epoch.ValidLoss is double loss && (best.BestValidLoss is not double bestLoss || loss < bestLoss)
            : epoch.ValidNdcg10 > best.BestNdcg10;

    private static void SaveLast(TigerRunFolder run, TigerModel model, OptimizerHelper optimizer, TrainerState state) =>
        TigerCheckpoint.Save(run.LastCheckpoint, model, state, optimizer);

    /// <summary>
    /// One optimizer step over one or more batches (gradient accumulation); returns the loss. Each
    /// batch's loss is weighted by its share of the samples, so the accumulated gradient is that of
    /// one batch holding them all (every target has the same number of tokens: codes and EOS).
    /// </summary>
    internal static double Step(TigerModel model, OptimizerHelper optimizer, IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets,
        IReadOnlyList<int[]> batches, TigerConfig config, double lr, long globalStep)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        model.train();
        optimizer.zero_grad();
        double samples = batches.Sum(b => b.Length), loss = 0;
        for (int m = 0; m < batches.Count; m++)
        {
            using var scope = NewDisposeScope();
            // dropout masks depend only on (seed, step, batch of the step): resuming replays them exactly
            model.Dropout.Reseed(unchecked((ulong)config.Seed * 1_000_003UL + (ulong)globalStep + ((ulong)m << 40)));
            var ids = TigerBatch.StackPadded(inputs, batches[m]);
            var labels = TigerBatch.Stack(targets, batches[m]);
            var logits = model.Logits(ids, labels);
            var batchLoss = RankingGuidedLoss.Compute(logits, labels, config.Temperature);
            double weight = batches[m].Length / samples;
            double value = batchLoss.item<float>();
            // checked before anything moves the weights, so a diverged step changes nothing
            TrainingDivergedException.ThrowIfNotFinite(value, "the loss");
            (batchLoss * weight).backward();
            loss += weight * value;
        }
        using (NewDisposeScope())
        {
            if (config.GradientClip > 0)
                TrainingDivergedException.ThrowIfNotFinite(nn.utils.clip_grad_norm_(model.parameters(), config.GradientClip), "the gradient norm");
            optimizer.step();
        }
        return loss;
    }

    /// <summary>Optimizer steps of an epoch of <paramref name="batches"/> batches, <paramref name="accumulation"/> per step (the last may hold fewer).</summary>
    public static int OptimizerSteps(int batches, int accumulation) => (batches + accumulation - 1) / accumulation;

    /// <summary>
    /// The budget is a promise about the total: no epoch starts that, judged by the one just
    /// finished, would end after it (0 = no budget).
    /// </summary>
    public static bool NextEpochExceedsBudget(double trainingSeconds, double lastEpochSeconds, double budgetMinutes) =>
        budgetMinutes > 0 && trainingSeconds + lastEpochSeconds > budgetMinutes * 60;

    /// <summary>Linear warm-up to the peak, then cosine decay to 0 at the last step (Hugging Face's schedule).</summary>
    public static double LearningRate(double peak, long step, long warmup, long total)
    {
        if (step < warmup) return peak * step / Math.Max(1, warmup);
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        return peak * Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }

    /// <summary>All users, or a fixed seeded sample of <paramref name="maxUsers"/> in their original order.</summary>
    public static IReadOnlyList<UserSequence> SelectUsers(IReadOnlyList<UserSequence> users, int? maxUsers, int seed) =>
        TrainingUsers.Select(users, maxUsers, seed);
}
