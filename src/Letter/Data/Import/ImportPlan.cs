namespace Letter.Data.Import;

/// <summary>An interaction file and how to read it.</summary>
internal sealed record InteractionSource(string Path, Func<IProgress<ImportProgress>?, RecordReader> Open, InteractionColumns Columns);

/// <summary>An item file, its id column and the text it gives; <see cref="Sources"/> may depend on the file's columns.</summary>
internal sealed record ItemSource(string Path, Func<IProgress<ImportProgress>?, RecordReader> Open, string IdColumn,
    Func<RecordReader, IReadOnlyList<TextSource>> Sources);

/// <summary>What a format reads: interaction files in order, at most one item file, and the options it imposes.</summary>
internal sealed record ImportPlan(IReadOnlyList<InteractionSource> Interactions, ItemSource? Items, ImportOptions Options)
{
    /// <summary>Rules of the format that the report should name (e.g. LC-Rec's for Amazon 2018).</summary>
    public string? Rules { get; init; }
}
