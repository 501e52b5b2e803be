using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Amazon Reviews, three releases; sources are the reviews (or ratings) file, then optionally the
/// metadata file, plain or gzipped.
/// 2014: reviews are JSON lines (<c>reviewerID</c>, <c>asin</c>, <c>overall</c>,
/// <c>unixReviewTime</c>), metadata lines are Python literals (title, description, the nested
/// <c>categories</c> lists flattened, brand).
/// 2018: the ratings-only CSV (<c>item,user,rating,timestamp</c>, no header) and the metadata JSON
/// lines, by LC-Rec's rules: items without a metadata record are dropped, LC-Rec's text cleaning
/// (<see cref="LcRecText"/>); its first-kept duplicates, 5-core, time order and ids by first
/// appearance are the shared defaults.
/// 2023: reviews JSON lines (<c>user_id</c>, <c>parent_asin</c>, <c>rating</c>, <c>timestamp</c>
/// in milliseconds) and metadata JSON lines by <c>parent_asin</c> (title, description paragraphs,
/// categories, store as the brand).
/// </summary>
internal static class AmazonFormats
{
    public static ImportPlan Plan2014(ImportRequest request)
    {
        var (reviews, meta) = Sources(request, "Amazon 2014", metadataRequired: false);
        return new ImportPlan(
            [new InteractionSource(reviews, p => new JsonLineRecords(reviews, p), new InteractionColumns("reviewerID", "asin", "unixReviewTime", "overall"))],
            meta is null ? null : new ItemSource(meta, p => new PythonLiteralRecords(meta, p), "asin", _ =>
            [
                new TextSource("title", ItemField.Title),
                new TextSource("description", ItemField.Description, " "),
                new TextSource("categories", ItemField.Categories, "\u0001", Distinct),
                new TextSource("brand", ItemField.Brand),
            ]),
            request.Options);
    }

    public static ImportPlan Plan2018(ImportRequest request)
    {
        var (ratings, meta) = Sources(request, "Amazon 2018", metadataRequired: true);
        var sep = LcRecText.ListSeparator;
        return new ImportPlan(
            [new InteractionSource(ratings, p => new DelimitedRecords(ratings, ",", header: false, quotes: true, progress: p), new InteractionColumns("2", "1", "4", "3"))],
            new ItemSource(meta!, p => new JsonLineRecords(meta!, p), "asin", _ =>
            [
                new TextSource("title", ItemField.Title, sep, LcRecText.Text),
                new TextSource("description", ItemField.Description, sep, LcRecText.List),
                new TextSource("category", ItemField.Categories, sep, LcRecText.Categories),
                new TextSource("brand", ItemField.Brand, sep, LcRecText.Brand),
            ]),
            request.Options with { DropItemsWithoutText = true })
        {
            Rules = "LC-Rec's Amazon 2018 preprocessing: items without metadata dropped, the first interaction with an item kept, k-core, time order, ids by first appearance, LC-Rec's text cleaning",
        };
    }

    public static ImportPlan Plan2023(ImportRequest request)
    {
        var (reviews, meta) = Sources(request, "Amazon 2023", metadataRequired: false);
        return new ImportPlan(
            [new InteractionSource(reviews, p => new JsonLineRecords(reviews, p), new InteractionColumns("user_id", "parent_asin", "timestamp", "rating"))],
            meta is null ? null : new ItemSource(meta, p => new JsonLineRecords(meta, p), "parent_asin", _ =>
            [
                new TextSource("title", ItemField.Title),
                new TextSource("description", ItemField.Description, " "),
                new TextSource("categories", ItemField.Categories),
                new TextSource("store", ItemField.Brand),
            ]),
            request.Options);
    }

    private static (string Reviews, string? Meta) Sources(ImportRequest request, string release, bool metadataRequired)
    {
        return request.Sources.Count switch
        {
            1 when !metadataRequired => (request.Sources[0], null),
            2 => (request.Sources[0], request.Sources[1]),
            _ => throw new LetterConfigException(metadataRequired
                ? $"{release}: give two sources, the ratings file and then the metadata file"
                : $"{release}: give the reviews file and optionally then the metadata file"),
        };
    }

    /// <summary>2014's categories are several paths through one tree: each name once, in order.</summary>
    private static string Distinct(string joined) =>
        string.Join(", ", joined.Split('\u0001', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct(StringComparer.Ordinal));
}
