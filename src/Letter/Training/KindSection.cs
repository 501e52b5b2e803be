using Letter.Common;

namespace Letter.Training;

/// <summary>
/// A kind's stage of a <c>letter run</c> pipeline, as the kind describes it (<see cref="RecommenderKind.PipelineSection"/>):
/// the config it trains, its own options, extra stage inputs (files hashed into the stage's identity) and the
/// settings the pipeline hashes into the stage's identity (run-only ones marked with <see cref="RunOnlyAttribute"/>).
/// </summary>
public sealed record KindSection(TrainingSchedule Config, IReadOnlyDictionary<string, string> Options, IReadOnlyDictionary<string, string> Inputs, object StageSettings);

/// <summary>What the stage of a kind without a section of its own in the run config depends on.</summary>
public sealed record KindStageSettings<T>(T Config, [property: RunOnly] int? EvalMaxUsers) where T : TrainingSchedule;
