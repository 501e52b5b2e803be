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
        if (Users < 10) throw new ArgumentOutOfRangeException(nameof(Users), Users, "--users must be at least 10");
        if (Items < 50) throw new ArgumentOutOfRangeException(nameof(Items), Items, "--items must be at least 50");
        if (Items > 1_000_000) throw new ArgumentOutOfRangeException(nameof(Items), Items, "--items must be at most 1,000,000");
        if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"--name '{Name}' is not a valid file name prefix");
        if (KitProbability + CategoryProbability + DepartmentProbability > 1)
            throw new ArgumentException("the transition probabilities must sum to at most 1");
    }
}
