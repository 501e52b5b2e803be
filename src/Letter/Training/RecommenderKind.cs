using Letter.Data;
using Letter.Runs;

namespace Letter.Training;

/// <summary>
/// A recommender kind (TIGER, LC-Rec, ...): its name in run records and pipeline folders, its config
/// type (a <see cref="TrainingSchedule"/> with the model's settings), and how it reads, loads and trains
/// a run. The registry of kinds (Letter.Kinds) is the only place that lists them; hosts find a run's
/// kind from its record and never branch on it.
/// </summary>
public abstract class RecommenderKind
{
    /// <summary>The kind in run records (<c>"kind"</c>), in a pipeline's <c>recommender</c> key and as its model folder's name.</summary>
    public abstract string Name { get; }

    /// <summary>One line for help texts.</summary>
    public abstract string Description { get; }

    /// <summary>The kind's config with its defaults (a record: derive settings with <c>with</c>).</summary>
    public abstract TrainingSchedule DefaultConfig { get; }

    /// <summary>The run folder with the kind's file names.</summary>
    public virtual RunFolder Folder(string directory) => new(directory);

    /// <summary>The config a run of this kind was trained with, from its run record.</summary>
    public abstract TrainingSchedule ReadConfig(RunFolder run);

    /// <summary>Loads a checkpoint of a run of this kind (the run's own files; a base model it names is read again).</summary>
    public abstract RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best);

    /// <summary>The users a run of this kind trained on.</summary>
    public IReadOnlyList<UserSequence> TrainingUsers(LetterDataset dataset, RunRecord record, TrainingSchedule config) =>
        Training.TrainingUsers.Select(dataset.Users, record.MaxUsers, config.Seed);

    public override string ToString() => Name;
}
