using System.Diagnostics;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.IO;
using Letter.Progress;
using Letter.Runs;
using static TorchSharp.torch;

namespace Letter.Training;

/// <summary>
/// Options of one training call that are not part of the run's config, the same for every kind (a kind
/// with options of its own derives from this record, e.g. TIGER's initial weights).
/// </summary>
public record TrainOptions
{
    /// <summary>Continue from the run folder's last checkpoint (its config.json wins over the passed config).</summary>
    public bool Resume { get; init; }
    /// <summary>Train and validate on a fixed seeded sample of this many users (quick checks).</summary>
    public int? MaxUsers { get; init; }
    /// <summary>The index file the identifiers came from, for its hash in the run record.</summary>
    public string? IndexFile { get; init; }
    /// <summary>Stop (after writing the last checkpoint) once this many optimizer steps are done in total.</summary>
    public long? StopAfterSteps { get; init; }
    /// <summary>Progress lines (one per epoch, and at start); null for silence.</summary>
    public Action<string>? Log { get; init; }
    /// <summary>Where the epoch and validation bars go (null: nowhere).</summary>
    public IProgress<ProgressUpdate>? Progress { get; init; }
    /// <summary>Called after an epoch's last step, before its validation (a test seam for interrupts there).</summary>
    public Action? BeforeValidation { get; init; }
    /// <summary>Where the model, its optimizer state, the batches and validation's decoding live (the CPU by default; the host has checked it is usable, see LetterRuntime).</summary>
    public ComputeDevice Device { get; init; }
}

/// <summary>What a training call ended with.</summary>
public sealed record TrainResult(TrainerState State, string RunDirectory);

/// <summary>The training and validation samples of a run, the popularity its recommender ranks shared identifiers by, and the dataset they came from.</summary>
public sealed record TrainingData(IReadOnlyList<UserSequence> Users, IReadOnlyList<Sample> Train, IReadOnlyList<Sample> Validation,
    int AllValidationUsers, int[] Popularity, LetterDataset Dataset);

/// <summary>
/// The one trainer of every recommender kind: epochs over the kind's batches with its ranking-guided
/// batch loss, gradient accumulation (each batch weighted by its share of the step), linear warm-up then
/// cosine decay, gradient clipping, the non-finite loss and gradient check (before the step: the
/// checkpoints on disk stay the last good state), validation after every epoch (NDCG@10 and Recall@10
/// of constrained beam search and the teacher-forced loss on a fixed user sample), the best epoch by
/// NDCG@10 or the loss, patience, the time budget, mid-epoch checkpoints, bit-exact resume (dropout
/// seeded by (seed, step, batch), batches by (seed, epoch)), the final choice between the sample's best
/// epoch and the last on all validation users, the curve file and progress.
/// </summary>
public static class Trainer
{
    /// <summary>The users, split and validation sample of a run of <paramref name="config"/>.</summary>
    public static TrainingData Prepare(LetterDataset data, TrainingSchedule config, int? maxUsers)
    {
        var users = TrainingUsers.Select(data.Users, maxUsers, config.Seed);
        var split = LeaveOneOutSplit.Build(users, new SplitOptions(config.MaxHistory));
        var validation = RecommenderEvaluator.SampleUsers(split.Valid, config.ValidationUsers == 0 ? null : config.ValidationUsers, config.Seed);
        return new TrainingData(users, split.Train, validation, split.Valid.Count, LeaveOneOutSplit.TrainingPopularity(users, data.ItemCount), data);
    }

    /// <summary>
    /// What a run folder keeps of its dataset, whatever the kind, so that it loads, names its items and
    /// speaks the dataset's own ids without the dataset: item popularity, titles, the id maps.
    /// </summary>
    private static void KeepDatasetFiles(RunFolder run, TrainingData data)
    {
        var dataset = data.Dataset;
        run.WritePopularity(data.Popularity);
        if (dataset.Items is not null) run.WriteTitles(Enumerable.Range(0, dataset.ItemCount).Select(dataset.Title).ToArray());
        RunIds.CopyInto(run, dataset.Folder);
    }

    /// <summary>
    /// Trains a session to the end of its schedule (or its stop), starting from the last checkpoint when
    /// resuming and one exists, else from <paramref name="beginNewRun"/> (which writes the kind's files:
    /// its record, index and initial weights), after which the trainer adds what every run folder keeps
    /// to stand alone (<see cref="KeepDatasetFiles"/>).
    /// </summary>
    public static TrainResult Run(TrainingSession session, RunFolder run, TrainingSchedule config, TrainingData data, Action beginNewRun,
        TrainOptions options, CancellationToken cancel = default)
    {
        var log = options.Log;
        var state = new TrainerState();
        if (options.Resume && session.HasLastCheckpoint)
        {
            state = session.LoadLast();
            log?.Invoke($"resumed from {session.LastCheckpoint}: epoch {state.Epoch + 1}, step {state.StepInEpoch} of the epoch, {state.GlobalStep} steps in total");
        }
        else
        {
            beginNewRun();
            KeepDatasetFiles(run, data);
        }
        var validation = data.Validation;
        if (state.Finished && !FinalSelection.IsNeeded(state, config, validation.Count, data.AllValidationUsers))
        {
            log?.Invoke($"the run is already finished ({state.StopReason})");
            return new TrainResult(state, run.Directory);
        }

        int stepsPerEpoch = OptimizerSteps(session.BatchCount, config.GradientAccumulation);
        long totalSteps = (long)stepsPerEpoch * config.Epochs;
        long warmup = Math.Max(1, (long)Math.Ceiling(config.WarmupFraction * totalSteps));
        foreach (var line in session.Describe(data.Train.Count, data.Users.Count, stepsPerEpoch, validation.Count)) log?.Invoke(line);

        var recommender = session.Recommender;
        var sinceCheckpoint = Stopwatch.StartNew();
        var epochClock = Stopwatch.StartNew();
        double epochSecondsBefore = state.EpochSeconds;
        double trainingSecondsBefore = state.TrainingSeconds - state.EpochSeconds;
        // the last checkpoint mid-epoch: the steps so far and the time they took
        void SaveProgress()
        {
            var seconds = epochSecondsBefore + epochClock.Elapsed.TotalSeconds;
            session.Save(CheckpointChoice.Last, state with { EpochSeconds = seconds, TrainingSeconds = trainingSecondsBefore + seconds }, withOptimizer: true);
        }

        for (int epoch = state.Epoch; !state.Finished && epoch < config.Epochs; epoch++)
        {
            var plan = session.Plan(epoch).Chunk(config.GradientAccumulation).ToList();
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
                    loss = Step(session, plan[b], config, lr, state.GlobalStep);
                }
                catch (TrainingDivergedException e)
                {
                    // nothing is saved here: the checkpoints on disk are the last good state
                    throw new TrainingDivergedException(
                        $"{session.Label} training stopped in epoch {epoch + 1}, step {b + 1} of {plan.Count} (learning rate {lr:G3}): {e.Message}; " +
                        (session.HasLastCheckpoint
                            ? $"the checkpoints written before it are kept ({session.LastCheckpoint})"
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
                if (stopNow) return new TrainResult(state, run.Directory);
            }
            bar?.Finish();

            options.BeforeValidation?.Invoke();
            RecommenderEvaluation evaluation;
            double validLoss, lossSeconds;
            try
            {
                evaluation = RecommenderEvaluator.Evaluate(recommender, validation, DataSplit.Valid, null, config.Seed, config.EvalBatchUsers, options.Progress, cancel);
                var lossClock = Stopwatch.StartNew();
                validLoss = session.ValidationLoss();
                lossSeconds = lossClock.Elapsed.TotalSeconds;
            }
            catch (OperationCanceledException)
            {
                // the epoch's steps are done: keep them, so that a resume goes straight to this validation
                SaveProgress();
                throw;
            }
            session.TrainMode();
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
            if (improved) session.Save(CheckpointChoice.Best, state, withOptimizer: false);
            session.Save(CheckpointChoice.Last, state, withOptimizer: true);
            AtomicFile.WriteAllText(run.CurveFile, JsonSerializer.Serialize(curve, LetterJson.Options));
            log?.Invoke($"epoch {epoch + 1}: train loss {record.TrainLoss:F4}, valid loss {validLoss:F4} R@10 {record.ValidRecall10:F4} N@10 {record.ValidNdcg10:F4}" +
                        $"{(improved ? " (best)" : "")}, {epochSeconds:F0} s ({epochSeconds / Math.Max(1, record.Steps):F3} s/step incl. validation: " +
                        $"beam search {evaluation.Seconds:F0} s, loss {lossSeconds:F1} s), lr {lr:E2}");
            sinceCheckpoint.Restart();
            epochClock.Restart();
            epochSecondsBefore = 0;
            trainingSecondsBefore = trainingSeconds;
            if (stopReason is not null)
            {
                log?.Invoke($"stopped: {stopReason}; best epoch {state.BestEpoch} (valid N@10 {state.BestNdcg10:F4}, loss {state.BestValidLoss:F4})");
                break;
            }
        }
        if (FinalSelection.IsNeeded(state, config, validation.Count, data.AllValidationUsers))
        {
            var allValidation = LeaveOneOutSplit.Build(data.Users, new SplitOptions(config.MaxHistory)).Valid;
            state = FinalSelection.Make(session, recommender, state, config, allValidation, options.Progress, log, cancel);
            session.Save(CheckpointChoice.Last, state, withOptimizer: true);
        }
        return new TrainResult(state, run.Directory);
    }

    /// <summary>
    /// One optimizer step over one or more batches (gradient accumulation); returns the loss. Each
    /// batch's loss is weighted by its share of the step (<see cref="TrainingSession.LossWeight"/>), so
    /// the accumulated gradient is that of one batch holding them all. A non-finite loss or gradient
    /// norm throws before the optimizer moves the weights.
    /// </summary>
    public static double Step(TrainingSession session, IReadOnlyList<int[]> batches, TrainingSchedule config, double lr, long globalStep)
    {
        foreach (var group in session.Optimizer.ParamGroups) group.LearningRate = lr;
        session.TrainMode();
        session.Optimizer.zero_grad();
        double total = batches.Sum(session.LossWeight), loss = 0;
        for (int m = 0; m < batches.Count; m++)
        {
            using var scope = NewDisposeScope();
            // dropout masks depend only on (seed, step, batch of the step): resuming replays them exactly
            session.SeedDropout(unchecked((ulong)config.Seed * 1_000_003UL + (ulong)globalStep + ((ulong)m << 40)));
            var batchLoss = session.BatchLoss(batches[m]);
            double weight = session.LossWeight(batches[m]) / total;
            double value = batchLoss.item<float>();
            // checked before anything moves the weights, so a diverged step changes nothing
            TrainingDivergedException.ThrowIfNotFinite(value, "the loss");
            batchLoss.Times(weight).backward();
            loss += weight * value;
        }
        using (NewDisposeScope())
        {
            if (config.GradientClip > 0)
                TrainingDivergedException.ThrowIfNotFinite(nn.utils.clip_grad_norm_(session.Trainable, config.GradientClip), "the gradient norm");
            session.Optimizer.step();
        }
        session.AfterStep();
        return loss;
    }

    /// <summary>Whether an epoch beats the best so far by the run's criterion (a tie does not: the earlier epoch stays).</summary>
    public static bool Improves(SelectionMetric selectBy, TrainerState best, EpochRecord epoch) =>
        selectBy == SelectionMetric.Loss
            ? epoch.ValidLoss is double loss && (best.BestValidLoss is not double bestLoss || loss < bestLoss)
            : epoch.ValidNdcg10 > best.BestNdcg10;

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
}
