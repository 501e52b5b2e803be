using Letter.IO;

namespace Letter.Data;

/// <summary>
/// Size and seed of the built-in dataset. The defaults keep the whole demo pipeline within a few
/// minutes on 2 cores.
/// </summary>
public sealed record SynthOptions(
    int Seed = 7,
    int Users = 2000,
    int Items = 600,
    string Name = "Synth",
    double KitProbability = 0.35,       // next item is the current item's hidden "bought together" partner
    double CategoryProbability = 0.35,  // next item shares the current item's category (visible in text)
    double DepartmentProbability = 0.2) // next item comes from one of the user's departments
{
    public static SynthOptions Default { get; } = new();

    public void Validate()
    {
        if (Users < 10) throw new LetterConfigException($"users must be at least 10 (got {Users})");
        if (Items is < 50 or > 1_000_000) throw new LetterConfigException($"items must be between 50 and 1,000,000 (got {Items})");
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new LetterConfigException($"name '{Name}' is not a valid file name prefix");
        if (KitProbability < 0 || CategoryProbability < 0 || DepartmentProbability < 0 ||
            KitProbability + CategoryProbability + DepartmentProbability > 1)
            throw new LetterConfigException("the transition probabilities must be non-negative and sum to at most 1");
    }
}
