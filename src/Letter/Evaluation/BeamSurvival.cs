namespace Letter.Evaluation;

/// <summary>
/// Where beam search loses the target: per identifier level k, the share of users whose target's
/// first k codes were still among the beams after step k. A target that leaves the beam never comes
/// back, so the shares fall level by level, and the last equals Recall@beam (identifier match).
/// The largest drop names the level whose choice the model gets wrong most often.
/// </summary>
public sealed class BeamSurvival
{
    private readonly long[] _all, _repeat, _new;
    private long _users, _repeatUsers;

    public BeamSurvival(int levels)
    {
        if (levels < 1) throw new ArgumentOutOfRangeException(nameof(levels), "an identifier has at least one level");
        _all = new long[levels];
        _repeat = new long[levels];
        _new = new long[levels];
    }

    public int Levels => _all.Length;

    public long Users => _users;

    /// <summary>Adds one user: per decoding step, whether the target's prefix was still among the beams (the end-of-sequence step is ignored).</summary>
    public void Add(bool[] keptByStep, bool targetInHistory)
    {
        if (keptByStep.Length < Levels) throw new ArgumentException($"{keptByStep.Length} steps for {Levels} levels");
        _users++;
        if (targetInHistory) _repeatUsers++;
        var group = targetInHistory ? _repeat : _new;
        for (int k = 0; k < Levels; k++)
        {
            if (!keptByStep[k]) break; // later steps cannot hold a prefix whose shorter prefix was dropped
            _all[k]++;
            group[k]++;
        }
    }

    /// <summary>Share of all users whose target survived levels 1..k, for k = 1 .. Levels.</summary>
    public double[] All => Shares(_all, _users);

    /// <summary>The same for users whose target is already in the history the model reads.</summary>
    public double[] Repeat => Shares(_repeat, _repeatUsers);

    /// <summary>The same for users whose target is new to them.</summary>
    public double[] New => Shares(_new, _users - _repeatUsers);

    private static double[] Shares(long[] counts, long users) => counts.Select(c => users == 0 ? 0 : (double)c / users).ToArray();

    public Dictionary<string, object> ToDictionary() => new()
    {
        ["about"] = "share of users whose target's first k codes were still among the beams after decoding level k, k = 1.."
            + $"{Levels} (the last is recall@beam)",
        ["all"] = All,
        ["repeat"] = Repeat,
        ["new"] = New,
        ["users"] = new Dictionary<string, long> { ["all"] = _users, ["repeat"] = _repeatUsers, ["new"] = _users - _repeatUsers },
    };
}
