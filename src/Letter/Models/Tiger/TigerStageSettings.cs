using Letter.Common;

namespace Letter.Models.Tiger;

/// <summary>What the TIGER stage of <c>letter run</c> depends on: its config and the test sample size (the stage's identity is this record's JSON).</summary>
public sealed record TigerStageSettings(TigerConfig Tiger, [property: RunOnly] int? EvalMaxUsers);
