using Letter.IO;

namespace Letter.Data.Import;

/// <summary>CSV, TSV, JSON lines and Parquet: the columns are the caller's (<see cref="TableColumns"/>).</summary>
internal static class GenericFormats
{
    public static ImportPlan Plan(ImportRequest request)
    {
        var c = request.Columns;
        if (request.Sources.Count == 0) throw new LetterConfigException("no interaction file given");
        var columns = new InteractionColumns(c.User, c.Item, c.Time, c.Rating);
        var interactions = request.Sources.Select(path => new InteractionSource(path, p => Open(request.Format, path, c, p), columns)).ToArray();
        ItemSource? items = null;
        if (c.ItemFile is { } itemFile)
        {
            if (c.Text.Count == 0) throw new LetterConfigException($"{itemFile}: an item file needs text columns to read");
            var sources = c.Text.Select(t => new TextSource(t.Column, t.Field)).ToArray();
            items = new ItemSource(itemFile, p => Open(request.Format, itemFile, c, p), c.ItemIdColumn ?? c.Item, _ => sources);
        }
        else if (c.Text.Count > 0)
        {
            throw new LetterConfigException("text columns were given without an item file");
        }
        return new ImportPlan(interactions, items, request.Options);
    }

    private static RecordReader Open(ImportFormat format, string path, TableColumns c, IProgress<ImportProgress>? progress) => format switch
    {
        ImportFormat.Csv => new DelimitedRecords(path, c.Separator ?? ",", c.Header, quotes: true, progress: progress),
        ImportFormat.Tsv => new DelimitedRecords(path, c.Separator ?? "\t", c.Header, quotes: true, progress: progress),
        ImportFormat.JsonLines => new JsonLineRecords(path, progress),
        ImportFormat.Parquet => new ParquetRecords(path, progress),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
