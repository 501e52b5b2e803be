namespace Letter.Runs;

/// <summary>Which checkpoint of a run to load.</summary>
public enum CheckpointChoice
{
    /// <summary>The chosen epoch (best.ckpt; the last one when the run has no best yet).</summary>
    Best,
    Last,
}

public static class CheckpointChoiceNames
{
    /// <summary>"best" or "last", as metrics files and file names spell the choice.</summary>
    public static string Name(this CheckpointChoice choice) => choice == CheckpointChoice.Last ? "last" : "best";
}
