using System.Diagnostics;

namespace Letter.Generation;

/// <summary>
/// Where a decoding's time goes, phase by phase (filter compilation, the encoder, each decoder step's
/// forward pass, its mask and its selection, result reading): filled by <see cref="GenerativeRecommender.Decode"/>
/// and <see cref="ConstrainedBeamSearch.Search"/> when one is passed, for profiling. On the CPU torch calls
/// return when their work is done, so the wall times are the work's; on an accelerator they are the host's.
/// </summary>
public sealed class DecodeProfile
{
    private readonly Dictionary<string, (long Ticks, long Count)> _phases = new();
    private readonly List<string> _order = [];

    /// <summary>Adds the time since <paramref name="since"/> (a <see cref="Stopwatch.GetTimestamp"/>) to a phase; returns now.</summary>
    public long Add(string phase, long since)
    {
        long now = Stopwatch.GetTimestamp();
        if (!_phases.TryGetValue(phase, out var p)) _order.Add(phase);
        _phases[phase] = (p.Ticks + now - since, p.Count + 1);
        return now;
    }

    /// <summary>The phases in the order first met, with their total seconds and how often each was entered.</summary>
    public IReadOnlyList<(string Phase, double Seconds, long Count)> Phases =>
        _order.Select(p => (p, _phases[p].Ticks / (double)Stopwatch.Frequency, _phases[p].Count)).ToList();

    public void Clear()
    {
        _phases.Clear();
        _order.Clear();
    }
}

/// <summary>A generation state that can split its own steps into phases for a <see cref="DecodeProfile"/>.</summary>
internal interface IProfiledGenerationState
{
    DecodeProfile? Profile { set; }
}
