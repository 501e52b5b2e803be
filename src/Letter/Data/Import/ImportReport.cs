using System.Text.Json;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>Users, items and interactions at one point of the import.</summary>
public sealed record ImportCounts(int Users, int Items, long Interactions);

/// <summary>An input file and its size on disk.</summary>
public sealed record ImportedFile(string Path, long Bytes, long Records);

/// <summary>Interactions each step removed, in the order the steps run.</summary>
public sealed record ImportDrops(long BadRows, long BelowMinRating, long ItemsWithoutText, long Duplicates, long BeyondMaxLength, long KCore);

/// <summary>
/// What an import read, dropped and wrote: <c>NAME.import.json</c> beside the dataset. It holds no
/// clock time, so an import repeated on the same input writes the same bytes.
/// </summary>
public sealed record ImportReport
{
    public string Command { get; init; } = "";
    public ImportFormat Format { get; init; }
    public string? Rules { get; init; }
    public IReadOnlyList<ImportedFile> Interactions { get; init; } = [];
    public ImportedFile? ItemFile { get; init; }
    public ImportOptions Options { get; init; } = ImportOptions.Default;
    public long RowsRead { get; init; }
    public bool TimeOrdered { get; init; }
    public IReadOnlyList<BadRow> FirstBadRows { get; init; } = [];
    public ImportDrops Dropped { get; init; } = new(0, 0, 0, 0, 0, 0);
    public int KCoreRounds { get; init; }

    /// <summary>Before filtering: the rows read well (at or above the minimum rating), their users and items.</summary>
    public ImportCounts Before { get; init; } = new(0, 0, 0);
    public ImportCounts After { get; init; } = new(0, 0, 0);
    public int ItemsWithText { get; init; }
    public string Dataset { get; init; } = "";

    public static string FileName(string name) => $"{name}.import.json";

    public string ToJson() => JsonSerializer.Serialize(this, LetterJson.Options) + "\n";
}
