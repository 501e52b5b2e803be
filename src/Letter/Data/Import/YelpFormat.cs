using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// The Yelp open dataset: <c>review.json</c> (<c>user_id</c>, <c>business_id</c>, <c>stars</c>,
/// <c>date</c>) and <c>business.json</c> (<c>name</c> as the title, <c>categories</c>), given as a
/// folder holding <c>yelp_academic_dataset_review.json</c> and <c>..._business.json</c> (or
/// <c>review.json</c> and <c>business.json</c>), or as the two files, reviews first.
/// </summary>
internal static class YelpFormat
{
    public static ImportPlan Plan(ImportRequest request)
    {
        string reviews, business;
        if (request.Sources.Count == 1 && Directory.Exists(request.Sources[0]))
        {
            var folder = request.Sources[0];
            reviews = Find(folder, "review");
            business = Find(folder, "business");
        }
        else if (request.Sources.Count == 2)
        {
            (reviews, business) = (request.Sources[0], request.Sources[1]);
        }
        else
        {
            throw new LetterConfigException("Yelp: give the dataset folder, or review.json and then business.json");
        }
        return new ImportPlan(
            [new InteractionSource(reviews, p => new JsonLineRecords(reviews, p), new InteractionColumns("user_id", "business_id", "date", "stars"))],
            new ItemSource(business, p => new JsonLineRecords(business, p), "business_id", _ =>
            [
                new TextSource("name", ItemField.Title),
                new TextSource("categories", ItemField.Categories),
            ]),
            request.Options);
    }

    private static string Find(string folder, string what)
    {
        foreach (var name in new[] { $"yelp_academic_dataset_{what}.json", $"{what}.json" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
            if (File.Exists(path + ".gz")) return path + ".gz";
        }
        throw new LetterDataException(folder, null, $"no yelp_academic_dataset_{what}.json or {what}.json in this folder");
    }
}
