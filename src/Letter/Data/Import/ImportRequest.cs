namespace Letter.Data.Import;

/// <summary>
/// One import: the format, its source files or folders (in the order the format expects, see
/// <see cref="ImportFormat"/>), the output folder and dataset name, and the settings.
/// <see cref="Command"/> is recorded in the report as the command that made the dataset.
/// </summary>
public sealed record ImportRequest(ImportFormat Format, IReadOnlyList<string> Sources, string OutputDirectory, string Name)
{
    public ImportOptions Options { get; init; } = ImportOptions.Default;
    public TableColumns Columns { get; init; } = new();
    public string? Command { get; init; }
}

/// <summary>Progress of reading one input file: compressed bytes for gzipped files.</summary>
public readonly record struct ImportProgress(string File, long Bytes, long TotalBytes, long Records);
