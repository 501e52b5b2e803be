using Letter.Data;
using Letter.IO;

namespace Letter.Training;

/// <summary>The checks every recommender's training makes of the index it trains on.</summary>
internal static class TrainingIndex
{
    /// <summary>Refuses an index of another item count; returns its SHA-256 (of the file when given, else of its JSON), which a run records.</summary>
    public static string CheckAndHash(ItemIndex index, LetterDataset data, string? indexFile)
    {
        if (index.ItemCount != data.ItemCount)
            throw new LetterDataException(indexFile ?? "index", null, $"has identifiers for {index.ItemCount} items, the dataset has {data.ItemCount}");
        return indexFile is not null ? FileHash.Sha256(indexFile) : FileHash.Sha256Text(index.ToJson());
    }
}
