using Letter.Data;

namespace Letter.Training;

/// <summary>An option of <c>letter train</c> that only some kinds read (e.g. <c>--base</c> of LC-Rec); the others refuse it.</summary>
/// <param name="Name">the option without dashes</param>
/// <param name="Values">the values it accepts (null: any text; empty: a flag without a value)</param>
public sealed record KindOption(string Name, string Description, IReadOnlyList<string>? Values = null)
{
    public bool IsFlag => Values is { Count: 0 };
}

/// <summary>One training call of a kind: the dataset, the identifiers, the config and where the run goes.</summary>
public sealed record KindTrainRequest
{
    public required LetterDataset Data { get; init; }
    public required ItemIndex Index { get; init; }
    /// <summary>The kind's config (from <see cref="RecommenderKind.DefaultConfig"/>, with <c>with</c>); a resumed run's own config wins.</summary>
    public required TrainingSchedule Config { get; init; }
    public required string RunDirectory { get; init; }
    /// <summary>The kind's own options by name (<see cref="RecommenderKind.Options"/>; flags as "true").</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    /// <summary>A run folder or checkpoint of the same kind whose weights the new run starts from (kinds that support it).</summary>
    public string? InitFrom { get; init; }
    /// <summary>The options of the call every kind reads: resume, the user sample, the index file, the device, progress.</summary>
    public TrainOptions Train { get; init; } = new();
}
