namespace Letter.Data;

public sealed record SequenceLengths(int Min, double Median, double Mean, int Max);

/// <summary>The numbers <c>letter data stats</c> reports for a dataset folder.</summary>
public sealed record DatasetStatistics(
    string Name,
    int Users,
    int Items,
    long Interactions,
    double Density,
    SequenceLengths SequenceLength,
    int ItemsNeverSeen,
    int TrainSamples,
    int ValidSamples,
    int TestSamples,
    int ShortUsers,
    IndexStatistics? Index)
{
    public static DatasetStatistics Compute(LetterDataset data, int maxHistory = 20)
    {
        var lengths = data.Users.Select(u => u.Items.Length).Order().ToArray();
        double median = lengths.Length % 2 == 1
            ? lengths[lengths.Length / 2]
            : (lengths[lengths.Length / 2 - 1] + lengths[lengths.Length / 2]) / 2.0;
        var seen = new bool[data.ItemCount];
        foreach (var u in data.Users)
            foreach (var i in u.Items)
                seen[i] = true;
        // Stats describe the data as it is, so short users are counted rather than rejected.
        var split = LeaveOneOutSplit.Build(data.Users, new SplitOptions(maxHistory, SkipShortUsers: true), data.Folder.InterFile);
        long interactions = data.InteractionCount;
        return new DatasetStatistics(
            data.Name,
            data.Users.Count,
            data.ItemCount,
            interactions,
            (double)interactions / ((double)data.Users.Count * data.ItemCount),
            new SequenceLengths(lengths[0], median, lengths.Average(), lengths[^1]),
            seen.Count(s => !s),
            split.Train.Count,
            split.Valid.Count,
            split.Test.Count,
            split.SkippedUsers.Count,
            data.Index is null ? null : IndexStatistics.Compute(data.Index.Codes));
    }
}
