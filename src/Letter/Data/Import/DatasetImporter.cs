using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// <c>letter import</c>: reads a source in one of the <see cref="ImportFormat"/>s, applies the
/// shared preprocessing (<see cref="ImportOptions"/>) and writes a dataset folder in Letter's
/// layout with id maps and a report. Reads stream; memory follows the distinct users and items
/// plus 16 bytes per interaction. The folder is replaced as a whole or not at all
/// (<see cref="StagedFolder"/>): an import that fails at any point leaves the previous dataset as it was.
/// </summary>
public static class DatasetImporter
{
    public static ImportReport Run(ImportRequest request, IProgress<ImportProgress>? progress = null)
    {
        request.Options.Validate();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.IndexOfAny(['/', '\\']) >= 0 || request.Name.StartsWith('.'))
            throw new LetterConfigException($"dataset name {Quoted.Quote(request.Name)} must be a plain file-name prefix");
        OutputPath.RequireFolder(request.OutputDirectory, "the dataset folder");
        if (Directory.Exists(request.OutputDirectory)
            && Directory.GetFiles(request.OutputDirectory, "*.inter.json").Select(Path.GetFileName)
                .FirstOrDefault(f => f != $"{request.Name}.inter.json") is { } other)
            throw new LetterDataException(request.OutputDirectory, null,
                $"already holds another dataset ({Quoted.Escape(other)}); a dataset folder holds one, so write to a new folder");
        var written = DatasetWriter.FileNames(request.Name).Append(ImportReport.FileName(request.Name)).ToArray();
        // checked before any input is read: a folder where a file goes fails at once, not after an hour
        using (StagedFolder.Create(request.OutputDirectory, written)) { }
        var plan = request.Format switch
        {
            ImportFormat.Csv or ImportFormat.Tsv or ImportFormat.JsonLines or ImportFormat.Parquet => GenericFormats.Plan(request),
            ImportFormat.RecBole => RecBoleFormat.Plan(request),
            ImportFormat.MovieLens => MovieLensFormat.Plan(request),
            ImportFormat.Amazon2014 => AmazonFormats.Plan2014(request),
            ImportFormat.Amazon2018 => AmazonFormats.Plan2018(request),
            ImportFormat.Amazon2023 => AmazonFormats.Plan2023(request),
            ImportFormat.Yelp => YelpFormat.Plan(request),
            _ => throw new ArgumentOutOfRangeException(nameof(request)),
        };
        var options = plan.Options;
        var bad = new BadRows(options.Strict, options.ReportedBadRows);
        var table = new InteractionTable();
        var read = new List<ImportedFile>();
        bool timeOrdered = true;
        foreach (var source in plan.Interactions)
        {
            using var reader = source.Open(progress);
            table.HasTime = false;
            InteractionLoader.Load(reader, source.Columns, table, options, bad);
            timeOrdered &= table.HasTime;
            read.Add(new ImportedFile(source.Path, new FileInfo(source.Path).Length, reader.Records));
        }
        // one file without a time column makes the whole import file-ordered: times would not compare
        table.HasTime = timeOrdered;
        if (table.Count == 0)
            throw new LetterDataException(plan.Interactions[0].Path, null,
                bad.Count > 0 ? $"no usable rows: all {bad.Count} rows read were bad (first: line {bad.Examples[0].Line}: {bad.Examples[0].Problem})"
                    : table.BelowMinRating > 0 ? $"no rows at or above the minimum rating ({table.BelowMinRating} below it)" : "no interactions");
        var before = new ImportCounts(table.Users.Count, table.Items.Count, table.Count);

        ImportedFile? itemFile = null;
        if (plan.Items is { } items)
        {
            using var reader = items.Open(progress);
            ItemTextLoader.Load(reader, items.IdColumn, items.Sources(reader), table, bad);
            itemFile = new ImportedFile(items.Path, new FileInfo(items.Path).Length, reader.Records);
        }

        var filtered = ImportFilter.Run(table, options);
        if (filtered.Sequences.Length == 0)
            throw new LetterDataException(plan.Interactions[0].Path, null,
                $"no interactions are left after filtering ({before.Users} users, {before.Items} items before it; " +
                $"k-core {options.KCore} removed {filtered.Counts.KCore}, items without text {filtered.Counts.ItemsWithoutText})");
        using var staged = StagedFolder.Create(request.OutputDirectory, written);
        DatasetWriter.Write(staged.Path, request.Name, filtered, table);
        var c = filtered.Counts;
        var report = new ImportReport
        {
            Command = request.Command ?? "",
            Format = request.Format,
            Rules = plan.Rules,
            Interactions = read,
            ItemFile = itemFile,
            Options = options,
            RowsRead = read.Sum(f => f.Records),
            TimeOrdered = table.HasTime,
            FirstBadRows = bad.Examples,
            Dropped = new ImportDrops(bad.Count, table.BelowMinRating, c.ItemsWithoutText, c.Duplicates, c.BeyondMaxLength, c.KCore),
            KCoreRounds = c.KCoreRounds,
            Before = before,
            After = new ImportCounts(filtered.UserIndex.Length, filtered.ItemIndex.Length, filtered.Sequences.Sum(s => (long)s.Length)),
            ItemsWithText = table.Text is { } text ? filtered.ItemIndex.Count(i => ItemTextLoader.HasText(text[i])) : 0,
            Dataset = request.OutputDirectory,
        };
        StagedFolder.Step("write report");
        AtomicFile.WriteAllText(Path.Combine(staged.Path, ImportReport.FileName(request.Name)), report.ToJson());
        staged.Commit();
        return report;
    }
}
