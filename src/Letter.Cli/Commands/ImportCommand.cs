using System.CommandLine;
using System.Globalization;
using Letter.Data.Import;
using Letter.Cli.Progress;

namespace Letter.Cli.Commands;

/// <summary><c>letter import FORMAT SOURCE... --out DIR [--name NAME]</c>: a dataset folder in Letter's layout from the formats people have.</summary>
public static class ImportCommand
{
    private static readonly Dictionary<string, ImportFormat> Formats = new()
    {
        ["csv"] = ImportFormat.Csv, ["tsv"] = ImportFormat.Tsv, ["jsonl"] = ImportFormat.JsonLines, ["parquet"] = ImportFormat.Parquet,
        ["recbole"] = ImportFormat.RecBole, ["movielens"] = ImportFormat.MovieLens, ["amazon2014"] = ImportFormat.Amazon2014,
        ["amazon2018"] = ImportFormat.Amazon2018, ["amazon2023"] = ImportFormat.Amazon2023, ["yelp"] = ImportFormat.Yelp,
    };

    private static readonly Dictionary<string, ItemField> Fields = new()
    {
        ["title"] = ItemField.Title, ["description"] = ItemField.Description, ["categories"] = ItemField.Categories, ["brand"] = ItemField.Brand,
    };

    public static Command Build()
    {
        var d = ImportOptions.Default;
        var t = new TableColumns();
        var format = new Argument<string>("FORMAT")
        {
            Description = "csv, tsv, jsonl, parquet (your own columns, see --user-col ...); recbole (folder or .inter); movielens (folder or u.data / ratings.dat / ratings.csv); " +
                          "amazon2014 (reviews, metadata); amazon2018 (ratings CSV, metadata; LC-Rec's rules); amazon2023 (reviews, metadata); yelp (folder, or review.json business.json)",
        };
        format.AcceptOnlyFromAmong([.. Formats.Keys]);
        var sources = new Argument<string[]>("SOURCE") { Description = "Input files or folder, plain or gzipped (for csv/tsv/jsonl/parquet several interaction files are read in order)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--out") { Description = "Dataset folder to write (created if missing)", Required = true };
        var name = new Option<string>("--name") { Description = "Dataset name, the file prefix (default: the output folder's name)" };
        var userCol = new Option<string>("--user-col") { Description = "User id column (header name, JSON field, or 1-based position without a header)", DefaultValueFactory = _ => t.User };
        var itemCol = new Option<string>("--item-col") { Description = "Item id column", DefaultValueFactory = _ => t.Item };
        var timeCol = new Option<string?>("--time-col") { Description = "Time column: a number (seconds, milliseconds...) or a date (default: 'timestamp' when present, else file order)" };
        var ratingCol = new Option<string?>("--rating-col") { Description = "Rating column (default: 'rating' when present), for --min-rating" };
        var sep = new Option<string?>("--sep") { Description = "Field separator: a character or several ('::'), or 'tab' (default: ',' for csv, tab for tsv)" };
        var noHeader = new Option<bool>("--no-header") { Description = "Delimited files have no header line: name columns by position from 1" };
        var itemFile = new Option<string?>("--item-file") { Description = "Item table in the same format (csv/tsv/jsonl/parquet)" };
        var itemIdCol = new Option<string?>("--item-id-col") { Description = "Item id column of --item-file (default: --item-col)" };
        var textCols = new Option<string?>("--text-cols")
        {
            Description = "Item text columns, comma-separated: title, description, categories, brand, or COLUMN=FIELD (e.g. name=title,genres=categories); several columns for one field are joined",
        };
        var minRating = new Option<double?>("--min-rating") { Description = "Keep interactions rated at least this" };
        var duplicates = new Option<string>("--duplicates") { Description = "Repeated (user, item): keep the first in time order, the last, or all", DefaultValueFactory = _ => "first" };
        duplicates.AcceptOnlyFromAmong("first", "last", "all");
        var kcore = new Option<int>("--k-core") { Description = "Remove users and items with fewer interactions, repeatedly, to a fixed point (0: none)", DefaultValueFactory = _ => d.KCore };
        var maxLength = new Option<int?>("--max-length") { Description = "Keep each user's latest N interactions (before k-core filtering)" };
        var dropNoText = new Option<bool>("--drop-items-without-text") { Description = "Drop interactions with items that have no text" };
        var strict = new Option<bool>("--strict") { Description = "Stop at the first bad row (default: count them and report the first few with line numbers)" };
        var quiet = new Option<bool>("--quiet") { Description = "No progress output" };
        var cmd = new Command("import",
            "Write a dataset folder in Letter's layout (NAME.inter.json, NAME.item.json) with id maps (NAME.user2id, NAME.item2id) and a report (NAME.import.json) " +
            "from CSV/TSV, JSON lines, Parquet, RecBole, MovieLens, Amazon 2014/2018/2023 or Yelp. Users' items in time order (equal times in file order), " +
            "duplicates, k-core filtering; the same input gives the same bytes.")
        {
            format, sources, output, name, userCol, itemCol, timeCol, ratingCol, sep, noHeader, itemFile, itemIdCol, textCols,
            minRating, duplicates, kcore, maxLength, dropNoText, strict, quiet,
        };
        cmd.SetAction(parse =>
        {
            var outDir = parse.GetValue(output)!;
            var datasetName = parse.GetValue(name) ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(outDir)));
            var request = new ImportRequest(Formats[parse.GetValue(format)!], parse.GetValue(sources)!, outDir, datasetName)
            {
                Options = new ImportOptions
                {
                    MinRating = parse.GetValue(minRating),
                    Duplicates = parse.GetValue(duplicates) switch { "last" => DuplicatePolicy.Last, "all" => DuplicatePolicy.All, _ => DuplicatePolicy.First },
                    KCore = parse.GetValue(kcore),
                    MaxSequenceLength = parse.GetValue(maxLength),
                    DropItemsWithoutText = parse.GetValue(dropNoText),
                    Strict = parse.GetValue(strict),
                },
                Columns = new TableColumns
                {
                    User = parse.GetValue(userCol)!,
                    Item = parse.GetValue(itemCol)!,
                    Time = parse.GetValue(timeCol),
                    Rating = parse.GetValue(ratingCol),
                    Separator = parse.GetValue(sep) is "tab" or "\\t" ? "\t" : parse.GetValue(sep),
                    Header = !parse.GetValue(noHeader),
                    ItemFile = parse.GetValue(itemFile),
                    ItemIdColumn = parse.GetValue(itemIdCol),
                    Text = ParseTextColumns(parse.GetValue(textCols)),
                },
                Command = CommandLine(parse.Tokens.Where(tk => tk.Type != System.CommandLine.Parsing.TokenType.Command).Select(tk => tk.Value)),
            };
            if (request.Columns.Separator is "") throw new UsageException("--sep is empty");
            using var bar = new ImportBar(enabled: !parse.GetValue(quiet));
            var report = DatasetImporter.Run(request, bar);
            bar.Dispose();
            Summary(parse.InvocationConfiguration.Output, report, datasetName);
            return 0;
        });
        return cmd;
    }

    internal static IReadOnlyList<TextColumn> ParseTextColumns(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(part =>
        {
            var eq = part.LastIndexOf('=');
            var (column, field) = eq > 0 ? (part[..eq], part[(eq + 1)..]) : (part, part);
            return Fields.TryGetValue(field, out var f)
                ? new TextColumn(column, f)
                : throw new UsageException($"--text-cols: '{part}' names no text field; use title, description, categories or brand, or COLUMN=FIELD");
        }).ToArray();
    }

    /// <summary>The command as typed, quoted where a word needs it, for the report.</summary>
    private static string CommandLine(IEnumerable<string> args) =>
        "letter import " + string.Join(' ', args.Select(a => a.Length > 0 && a.All(c => char.IsAsciiLetterOrDigit(c) || "-_./:=,+@%".Contains(c)) ? a : "'" + a.Replace("'", "'\\''") + "'"));

    private static void Summary(TextWriter o, ImportReport r, string name)
    {
        var inv = CultureInfo.InvariantCulture;
        var dr = r.Dropped;
        o.WriteLine(string.Create(inv, $"read {r.RowsRead:N0} rows: {r.Before.Users:N0} users, {r.Before.Items:N0} items, {r.Before.Interactions:N0} interactions{(r.TimeOrdered ? "" : " (no time column: file order)")}"));
        if (dr.BadRows > 0)
        {
            o.WriteLine(string.Create(inv, $"bad rows: {dr.BadRows:N0}, the first:"));
            foreach (var b in r.FirstBadRows) o.WriteLine($"  {b.File}: line {b.Line}: {b.Problem}");
        }
        var drops = new (string What, long Count)[]
        {
            ("below the minimum rating", dr.BelowMinRating), ("items without text", dr.ItemsWithoutText), ("duplicates", dr.Duplicates),
            ("beyond the maximum length", dr.BeyondMaxLength), ($"{r.Options.KCore}-core filtering ({r.KCoreRounds} round{(r.KCoreRounds == 1 ? "" : "s")})", dr.KCore),
        }.Where(x => x.Count > 0).Select(x => string.Create(inv, $"{x.Count:N0} {x.What}")).ToArray();
        o.WriteLine($"dropped: {(drops.Length == 0 ? "nothing" : string.Join(", ", drops))}");
        o.WriteLine(string.Create(inv, $"kept {r.After.Users:N0} users, {r.After.Items:N0} items ({r.ItemsWithText:N0} with text), {r.After.Interactions:N0} interactions"));
        o.WriteLine($"wrote {r.Dataset} ({name}.inter.json{(r.ItemsWithText > 0 ? $", {name}.item.json" : "")}, {name}.user2id, {name}.item2id, {ImportReport.FileName(name)})");
    }

    /// <summary>One progress bar per input file, over its bytes on disk; reports arrive on the reading thread.</summary>
    private sealed class ImportBar(bool enabled) : IProgress<ImportProgress>, IDisposable
    {
        private ProgressBar? _bar;
        private string? _file;

        public void Report(ImportProgress value)
        {
            if (!enabled) return;
            if (value.File != _file)
            {
                _bar?.Finish();
                _bar?.Dispose();
                _file = value.File;
                _bar = new ProgressBar($"import {Path.GetFileName(value.File)}", value.TotalBytes);
            }
            var status = string.Create(CultureInfo.InvariantCulture, $"{value.Records:N0} records");
            if (value.Bytes >= value.TotalBytes) _bar!.Finish(status);
            else _bar!.Report(value.Bytes, status);
        }

        public void Dispose()
        {
            _bar?.Dispose();
            _bar = null;
        }
    }
}
