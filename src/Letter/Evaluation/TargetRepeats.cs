using Letter.Data;

namespace Letter.Evaluation;

/// <summary>
/// Splits one metric over two kinds of users: those whose target is already in the history the model
/// reads ("repeat": a copy would be a hit) and the rest ("new"). On data where people come back to
/// items (Yelp) the two call for different skills, and a model that never copies loses most of the
/// first group; the split shows which one a gap is in.
/// </summary>
public sealed class TargetRepeats
{
    public RankingMetrics Repeat { get; } = new();
    public RankingMetrics New { get; } = new();

    /// <summary>Adds one user's 0-based rank of the target (-1 when not ranked) to its group.</summary>
    public void Add(Sample sample, int rank) => Add(sample.TargetInHistory, rank);

    /// <summary>The same for a user known only by whether the target is in the history (e.g. from a ranks file).</summary>
    public void Add(bool targetInHistory, int rank) => (targetInHistory ? Repeat : New).Add(rank);

    public int Users => Repeat.Count + New.Count;

    public double RepeatShare => Users == 0 ? 0 : (double)Repeat.Count / Users;
}
