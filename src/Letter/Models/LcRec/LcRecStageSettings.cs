using Letter.Common;

namespace Letter.Models.LcRec;

/// <summary>
/// What the LC-Rec stage of <c>letter run</c> depends on: its config (run-only settings marked in the shared
/// schedule), the base model and the test sample size (the stage's identity is this record's JSON).
/// </summary>
public sealed record LcRecStageSettings(LcRecConfig LcRec, string BaseModel, [property: RunOnly] int? EvalMaxUsers);
