using Letter.Formats;
namespace Letter.Data;

public sealed record SequenceLengths(int Min, double Median, double Mean, int Max);

/// <summary>
/// Share of samples whose target is already in the history the model reads, per split. Where it is
/// large (Yelp: people return to places) simply re-listing the history is a strong baseline.
/// </summary>
public sealed record RepeatTargetShares(double Train, double Valid, double Test)
{
    public static RepeatTargetShares Compute(LeaveOneOutSplit split) =>
        new(Share(split.Train), Share(split.Valid), Share(split.Test));

    private static double Share(IReadOnlyList<Sample> samples) =>
        samples.Count == 0 ? 0 : (double)samples.Count(s => s.TargetInHistory) / samples.Count;
}

/// <summary>An embedding file found in the dataset folder, checked to have one row per item.</summary>
public sealed record EmbeddingFileInfo(string File, int Rows, int Cols)
{
    public static IReadOnlyList<EmbeddingFileInfo> CheckAll(LetterDataset data) =>
        Directory.GetFiles(data.Folder.Directory, "*.npy").Order(StringComparer.Ordinal).Select(path =>
        {
            var m = Formats.NpyFile.Read(path).RequireRows(data.ItemCount, path, "an item embedding file");
            return new EmbeddingFileInfo(Path.GetFileName(path), m.Rows, m.Cols);
        }).ToList();
}

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
    RepeatTargetShares RepeatTargets,
    IndexStatistics? Index,
    IReadOnlyList<EmbeddingFileInfo> Embeddings)
{
    public static DatasetStatistics Compute(LetterDataset data, SplitOptions? split = null)
    {
        var lengths = data.Users.Select(u => u.Items.Length).Order().ToArray();
        double median = lengths.Length % 2 == 1
            ? lengths[lengths.Length / 2]
            : (lengths[lengths.Length / 2 - 1] + lengths[lengths.Length / 2]) / 2.0;
        var seen = new bool[data.ItemCount];
        foreach (var u in data.Users)
            foreach (var i in u.Items)
                seen[i] = true;
        var samples = LeaveOneOutSplit.Build(data.Users, split, data.Folder.InterFile);
        long interactions = data.InteractionCount;
        return new DatasetStatistics(
            data.Name,
            data.Users.Count,
            data.ItemCount,
            interactions,
            (double)interactions / ((double)data.Users.Count * data.ItemCount),
            new SequenceLengths(lengths[0], median, lengths.Average(), lengths[^1]),
            seen.Count(s => !s),
            samples.Train.Count,
            samples.Valid.Count,
            samples.Test.Count,
            samples.SkippedUsers.Count,
            RepeatTargetShares.Compute(samples),
            data.Index is null ? null : IndexStatistics.Compute(data.Index.Codes),
            EmbeddingFileInfo.CheckAll(data));
    }
}
