namespace Letter.Common;

/// <summary>
/// Marks a setting that changes how a stage is run or evaluated (threads, batch sizes of inference,
/// beam width, checkpoint interval, evaluation sample), not what it trains. <c>letter run</c> hashes
/// only the other settings into a stage's identity, so changing a run-only setting never throws a
/// trained model away: the stage is reused, or only its evaluation is redone.
/// </summary>
[AttributeUsage(AttributeTargets.Property, Inherited = true, AllowMultiple = false)]
public sealed class RunOnlyAttribute : Attribute;
