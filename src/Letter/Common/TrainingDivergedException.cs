namespace Letter.Common;

/// <summary>
/// Training produced a loss or gradient that is not a finite number. Trainers check before the
/// optimizer step, so the weights in memory and every checkpoint already written stay as they were
/// before the bad step; the message says where training stopped and what was kept. The CLI prints
/// it as one line (exit 2): the usual cause is a setting (too high a learning rate), not a bug.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message)
{
    /// <summary>Throws when <paramref name="value"/> (named by <paramref name="what"/>, e.g. "the loss") is NaN or infinite.</summary>
    public static void ThrowIfNotFinite(double value, string what)
    {
        if (!double.IsFinite(value))
            throw new TrainingDivergedException($"{what} became {(double.IsNaN(value) ? "NaN" : value > 0 ? "+infinity" : "-infinity")}");
    }
}
