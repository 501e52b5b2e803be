using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// The MovieLens releases, found by their file names in a folder (or from the ratings file):
/// 100K <c>u.data</c> + <c>u.item</c> (pipe separated, Latin-1, 19 genre flags); 1M/10M
/// <c>ratings.dat</c> + <c>movies.dat</c> (<c>::</c> separated, 1M in Latin-1, genres split by
/// <c>|</c>); 20M/25M/32M/latest <c>ratings.csv</c> + <c>movies.csv</c> (CSV with a header,
/// UTF-8). Item text: the title (with its year, as MovieLens writes it) and the genres as categories.
/// </summary>
internal static class MovieLensFormat
{
    /// <summary>The genres of u.item's flag columns 6-24, in order (MovieLens 100K's u.genre).</summary>
    private static readonly string[] Genres100K =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    public static ImportPlan Plan(ImportRequest request)
    {
        if (request.Sources.Count != 1) throw new LetterConfigException("MovieLens: give one source, the folder or its ratings file");
        var source = request.Sources[0];
        string data = Directory.Exists(source)
            ? new[] { "u.data", "ratings.dat", "ratings.csv" }.Select(n => Path.Combine(source, n)).FirstOrDefault(File.Exists)
              ?? throw new LetterDataException(source, null, "no MovieLens ratings here (expected u.data, ratings.dat or ratings.csv)")
            : source;
        var folder = Path.GetDirectoryName(Path.GetFullPath(data))!;
        var name = Path.GetFileName(data);
        if (name == "u.data" || name.EndsWith(".data", StringComparison.Ordinal))
        {
            var item = Path.Combine(folder, "u.item");
            var columns = new InteractionColumns("1", "2", "4", "3");
            var text = new List<TextSource> { new("2", ItemField.Title) };
            for (int g = 0; g < Genres100K.Length; g++)
            {
                var genre = Genres100K[g];
                text.Add(new TextSource((6 + g).ToString(System.Globalization.CultureInfo.InvariantCulture), ItemField.Categories, Clean: v => v == "1" ? genre : ""));
            }
            return Plan(request, data, p => new DelimitedRecords(data, "\t", header: false, quotes: false, progress: p), columns,
                item, p => new DelimitedRecords(item, "|", header: false, quotes: false, latin1Fallback: true, progress: p), "1", text);
        }
        if (name.EndsWith(".dat", StringComparison.Ordinal))
        {
            var item = Path.Combine(folder, "movies.dat");
            var columns = new InteractionColumns("1", "2", "4", "3");
            TextSource[] text = [new("2", ItemField.Title), new("3", ItemField.Categories, Clean: SplitGenres)];
            return Plan(request, data, p => new DelimitedRecords(data, "::", header: false, quotes: false, progress: p), columns,
                item, p => new DelimitedRecords(item, "::", header: false, quotes: false, latin1Fallback: true, progress: p), "1", text);
        }
        if (name.EndsWith(".csv", StringComparison.Ordinal))
        {
            var item = Path.Combine(folder, "movies.csv");
            var columns = new InteractionColumns("userId", "movieId", "timestamp", "rating");
            TextSource[] text = [new("title", ItemField.Title), new("genres", ItemField.Categories, Clean: SplitGenres)];
            return Plan(request, data, p => new DelimitedRecords(data, ",", header: true, quotes: true, progress: p), columns,
                item, p => new DelimitedRecords(item, ",", header: true, quotes: true, progress: p), "movieId", text);
        }
        throw new LetterDataException(data, null, "not a MovieLens ratings file (expected u.data, ratings.dat or ratings.csv)");
    }

    private static ImportPlan Plan(ImportRequest request, string data, Func<IProgress<ImportProgress>?, RecordReader> open, InteractionColumns columns,
        string item, Func<IProgress<ImportProgress>?, RecordReader> openItem, string idColumn, IReadOnlyList<TextSource> text) =>
        new([new InteractionSource(data, open, columns)],
            File.Exists(item) ? new ItemSource(item, openItem, idColumn, _ => text) : null,
            request.Options);

    /// <summary>"Adventure|Children|Fantasy" to "Adventure, Children, Fantasy"; "(no genres listed)" to nothing.</summary>
    private static string SplitGenres(string v) =>
        v == "(no genres listed)" ? "" : string.Join(", ", v.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
