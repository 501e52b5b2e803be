using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// RecBole atomic files: <c>NAME.inter</c> and, when present beside it, <c>NAME.item</c>; tab
/// separated, no quoting, headers typed as <c>name:type</c>. Interactions use RecBole's default
/// fields (user_id, item_id, timestamp, rating) unless told otherwise. Item text, unless given:
/// title, movie_title or name as the title; description or desc; class, categories, category,
/// genre or genres as categories (a space-separated <c>token_seq</c> becomes a comma list);
/// brand.
/// </summary>
internal static class RecBoleFormat
{
    private static readonly Dictionary<string, ItemField> KnownText = new(StringComparer.OrdinalIgnoreCase)
    {
        ["title"] = ItemField.Title, ["movie_title"] = ItemField.Title, ["name"] = ItemField.Title,
        ["description"] = ItemField.Description, ["desc"] = ItemField.Description,
        ["class"] = ItemField.Categories, ["categories"] = ItemField.Categories, ["category"] = ItemField.Categories,
        ["genre"] = ItemField.Categories, ["genres"] = ItemField.Categories,
        ["brand"] = ItemField.Brand,
    };

    public static ImportPlan Plan(ImportRequest request)
    {
        if (request.Sources.Count != 1) throw new LetterConfigException("RecBole: give one source, the dataset folder or its .inter file");
        var source = request.Sources[0];
        string inter = Directory.Exists(source) ? FindInter(source) : source;
        var c = request.Columns;
        var item = Path.ChangeExtension(inter, ".item");
        var plan = new ImportPlan(
            [new InteractionSource(inter, p => Open(inter, p), new InteractionColumns(c.User, c.Item, c.Time, c.Rating))],
            File.Exists(item) ? new ItemSource(item, p => Open(item, p), c.ItemIdColumn ?? c.Item, r => TextSources(r, c)) : null,
            request.Options);
        return plan;
    }

    private static RecordReader Open(string path, IProgress<ImportProgress>? progress) =>
        new DelimitedRecords(path, "\t", header: true, quotes: false, progress: progress, typedHeader: true);

    private static IReadOnlyList<TextSource> TextSources(RecordReader r, TableColumns c)
    {
        if (c.Text.Count > 0) return c.Text.Select(t => new TextSource(t.Column, t.Field)).ToArray();
        return (r.ColumnNames ?? []).Where(KnownText.ContainsKey).Select(name => KnownText[name] == ItemField.Categories
            ? new TextSource(name, ItemField.Categories, Clean: v => string.Join(", ", v.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
            : new TextSource(name, KnownText[name])).ToArray();
    }

    private static string FindInter(string folder)
    {
        var found = Directory.GetFiles(folder, "*.inter");
        return found.Length switch
        {
            1 => found[0],
            0 => throw new LetterDataException(folder, null, "no NAME.inter file in this folder"),
            _ => throw new LetterDataException(folder, null, $"more than one .inter file: {string.Join(", ", found.Select(Path.GetFileName).Order(StringComparer.Ordinal))}"),
        };
    }
}
