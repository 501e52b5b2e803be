namespace Letter.Data;

/// <summary>The held-out split an evaluation reads: each user's last item (test) or second-to-last (valid).</summary>
public enum DataSplit
{
    Test,
    Valid,
}

public static class DataSplitNames
{
    /// <summary>"test" or "valid", as metrics files and file names spell it.</summary>
    public static string Name(this DataSplit split) => split == DataSplit.Test ? "test" : "valid";

    public static IReadOnlyList<Sample> Of(this LeaveOneOutSplit data, DataSplit split) => split == DataSplit.Test ? data.Test : data.Valid;
}
