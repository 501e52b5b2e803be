using Letter.Data;
using Letter.Generation;
using Letter.Runs;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Training;

/// <summary>
/// What a recommender kind plugs into the one <see cref="Trainer"/> for one run: its model in training,
/// its batch loss, its trainable parameters and optimizer, how it decodes and scores validation users,
/// and how it saves and loads its checkpoints. The trainer owns the rest (epochs, schedule, validation,
/// selection, stopping, checkpoint timing, resume, the curve and the log).
/// </summary>
public abstract class TrainingSession : IDisposable
{
    /// <summary>The kind's name in messages ("TIGER").</summary>
    public abstract string Label { get; }

    /// <summary>Per training sample, its length: the batch plan groups equal lengths.</summary>
    public abstract IReadOnlyList<int> SampleLengths { get; }

    /// <summary>Batches of one epoch (sample indices), in the order they are trained.</summary>
    public abstract List<int[]> Plan(int epoch);

    /// <summary>Batches of an epoch (the plan's length), to size the schedule before any epoch runs.</summary>
    public abstract int BatchCount { get; }

    public abstract IReadOnlyList<Parameter> Trainable { get; }
    public abstract OptimizerHelper Optimizer { get; }

    /// <summary>Puts the model in training mode (dropout on).</summary>
    public abstract void TrainMode();

    /// <summary>Seeds the model's dropout for one batch of one step, so a resumed run replays the same masks.</summary>
    public abstract void SeedDropout(ulong seed);

    /// <summary>The mean loss of one batch (a scalar with a graph), in training mode.</summary>
    public abstract Tensor BatchLoss(int[] batch);

    /// <summary>How much of a step's loss one batch carries (samples, or loss tokens): batches are weighted by their share.</summary>
    public abstract double LossWeight(int[] batch);

    /// <summary>After an optimizer step (e.g. putting frozen rows back).</summary>
    public virtual void AfterStep() { }

    /// <summary>A recommender over the model in training (decodes the validation users every epoch).</summary>
    public abstract GenerativeRecommender Recommender { get; }

    /// <summary>The teacher-forced loss of the validation samples the session was made with (no dropout).</summary>
    public abstract double ValidationLoss();

    /// <summary>Whether the run folder holds a last checkpoint to resume from.</summary>
    public abstract bool HasLastCheckpoint { get; }

    /// <summary>The last checkpoint (file or folder), for messages.</summary>
    public abstract string LastCheckpoint { get; }

    /// <summary>Loads the last checkpoint with the optimizer state into the model in training.</summary>
    public abstract TrainerState LoadLast();

    /// <summary>Writes a checkpoint of the model in training (atomically).</summary>
    public abstract void Save(CheckpointChoice checkpoint, TrainerState state, bool withOptimizer);

    /// <summary>A recommender over the run's best checkpoint, loaded apart from the model in training (it owns its model).</summary>
    public abstract GenerativeRecommender LoadBest();

    /// <summary>Lines for the log at the start (sizes, parameters, precision).</summary>
    public virtual IEnumerable<string> Describe(int trainSamples, int users, int stepsPerEpoch, int validationUsers) => [];

    public abstract void Dispose();
}
