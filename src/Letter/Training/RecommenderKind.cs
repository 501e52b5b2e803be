using Letter.Common;
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

    /// <summary>The kind's name in reports and messages ("TIGER", "LC-Rec").</summary>
    public virtual string DisplayName => Name;

    /// <summary>One line for help texts.</summary>
    public abstract string Description { get; }

    /// <summary>The kind's config with its defaults (a record: derive settings with <c>with</c>).</summary>
    public abstract TrainingSchedule DefaultConfig { get; }

    /// <summary>The run folder with the kind's file names.</summary>
    public virtual RunFolder Folder(string directory) => new(directory);

    /// <summary>The config a run of this kind was trained with, from its run record.</summary>
    public abstract TrainingSchedule ReadConfig(RunFolder run);

    /// <summary>
    /// Loads a checkpoint of a run of this kind (the run's own files; a base model it names is read again)
    /// onto <paramref name="device"/>: the model is built on the CPU, moved there, and decodes there.
    /// </summary>
    public abstract RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best, ComputeDevice device = default);

    /// <summary>The users a run of this kind trained on.</summary>
    public IReadOnlyList<UserSequence> TrainingUsers(LetterDataset dataset, RunRecord record, TrainingSchedule config) =>
        Training.TrainingUsers.Select(dataset.Users, record.MaxUsers, config.Seed);

    /// <summary>Options of <c>letter train</c> only this kind reads (<c>--base</c>, <c>--dropout</c>, ...); another kind's are refused for it.</summary>
    public virtual IReadOnlyList<KindOption> Options => [];

    /// <summary>Whether a new run can start from the weights of another run of the kind (<see cref="KindTrainRequest.InitFrom"/>).</summary>
    public virtual bool SupportsInitFrom => false;

    /// <summary>
    /// <paramref name="config"/> (this kind's config with the shared settings already applied) with the
    /// kind's own <paramref name="options"/> applied and validated; bad values throw ArgumentException.
    /// </summary>
    public abstract TrainingSchedule Configure(TrainingSchedule config, IReadOnlyDictionary<string, string> options);

    /// <summary>Trains (or resumes) a run of this kind through the one <see cref="Trainer"/>.</summary>
    public abstract TrainResult Train(KindTrainRequest request, CancellationToken cancel = default);

    /// <summary>Times the kind's training step and decoding instead of training (<c>letter train --benchmark SPEC</c>), one JSON line per measurement.</summary>
    /// <param name="applyRuntime">the host's way to apply process-wide runtime settings a measurement needs</param>
    public virtual void Benchmark(string spec, ItemIndex index, TrainingSchedule config, IReadOnlyDictionary<string, string> options, TextWriter output,
        Action<Common.RuntimeOptions>? applyRuntime) =>
        throw new ArgumentException($"--benchmark is not available for {Name} runs");

    /// <summary>
    /// The kind's stage of a <c>letter run</c> pipeline. <paramref name="section"/> is the run config's
    /// section of the kind's config type (<c>tiger</c>, <c>lc_rec</c>), null when it has none: the stage then
    /// trains the kind's defaults under the run's <paramref name="seed"/>. <paramref name="setting"/> reads a
    /// top-level setting of the run config by its key (null when absent). A missing or bad setting is a
    /// LetterConfigException naming its key.
    /// </summary>
    public virtual KindSection PipelineSection(TrainingSchedule? section, int seed, int? evalMaxUsers, Func<string, string?> setting)
    {
        var config = section ?? DefaultConfig with { Seed = seed };
        return new KindSection(config, new Dictionary<string, string>(), new Dictionary<string, string>(),
            Activator.CreateInstance(typeof(KindStageSettings<>).MakeGenericType(config.GetType()), config, evalMaxUsers)!);
    }

    /// <summary>Matrix products in bfloat16 while training this config (the host applies it process-wide).</summary>
    public virtual bool Bf16Products(TrainingSchedule config) => false;

    public override string ToString() => Name;
}
