using Letter.Data;
using Letter.Data.Import;

namespace Letter.Tests.Data.Import;

/// <summary>
/// Amazon 2018 against LC-Rec's preprocessing (data_process/amazon18_data_process.py), restated
/// here step by step as a reference: a set of (user, item, rating, time) rows; each user's rows
/// sorted by time keeping an item's first; items without metadata dropped; the k-core loop;
/// the ordering again; ids by first appearance. Python's set has no fixed order; the reference
/// takes file order in its place, which is the order the importer documents.
/// </summary>
public class Amazon2018Tests
{
    private const string Ratings =
        "A,U1,5.0,10\n" +
        "B,U1,4.0,20\n" +
        "A,U1,3.0,5\n" +      // U1 met A earlier than the line above says: this one is kept
        "B,U2,5.0,30\n" +
        "A,U2,5.0,40\n" +
        "E,U3,5.0,1\n" +      // E has no metadata
        "C,U3,5.0,2\n" +
        "C,U4,5.0,3\n" +
        "D,U4,5.0,4\n" +
        "E,U4,5.0,5\n" +
        "A,U1,3.0,5\n";       // the same row again

    private static readonly string Meta = string.Join('\n',
        """{"asin": "A", "title": "Guitar &amp; Amp <b>Pro</b>", "description": ["Line \"one\"\n", " two."], "category": ["Musical Instruments", "Guitars", "</span></span></span>", "x"], "brand": "by\nFender "}""",
        """{"asin": "B", "title": "Strings", "description": [], "category": [], "brand": ""}""",
        """{"asin": "C", "title": "Capo...", "description": [], "category": [], "brand": ""}""",
        """{"asin": "D", "title": "Drum", "description": [], "category": [], "brand": ""}""",
        """{"asin": "B", "title": "Strings v2", "description": ["<p>Set of 6</p>"], "category": ["Strings"], "brand": "Ernie"}""") + "\n";

    [Fact]
    public void Matches_LC_Rec_rules_worked_by_hand()
    {
        // Without E: U3 has C; U4 has C, D. U1's first A is at time 5. With k = 2:
        // round 1 removes U3 (1 item) and D (1 user): U4 is left with C, and C with U4 alone;
        // round 2 removes U4-C; round 3 removes nothing. U1: A B, U2: B A.
        using var f = new ImportFixture();
        var r = f.Import(ImportFormat.Amazon2018, [f.Write("Instruments.csv", Ratings), f.WriteGzip("meta_Instruments.json.gz", Meta)],
            new ImportOptions { KCore = 2 });
        Assert.Equal(["U1: A B", "U2: B A"], r.Sequences());
        Assert.Equal("{\n  \"0\": [0, 1],\n  \"1\": [1, 0]\n}\n", r.Inter);
        Assert.Equal(2, r.Report.Dropped.ItemsWithoutText);
        Assert.Equal(2, r.Report.Dropped.Duplicates);   // A@10 and the repeated A@5
        Assert.Equal(2, r.Report.KCoreRounds);
        Assert.Equal(LcRecReference(Ratings, ["A", "B", "C", "D"], k: 2), r.Sequences());

        // LC-Rec's text cleaning: entities decoded, tags, quotes and line breaks removed, one final period;
        // categories up to the first holding </span>, joined by commas; "by\n" taken off the brand
        Assert.Equal(new ItemText("Guitar & Amp Pro.", "Line one two.", "Musical Instruments,Guitars", "Fender"), r.Items[0]);
        // the later metadata line of B replaces the earlier (a Python dict keeps the last)
        Assert.Equal(new ItemText("Strings v2.", "Set of 6.", "Strings", "Ernie"), r.Items[1]);
    }

    [Fact]
    public void Matches_the_reference_at_5_core_on_a_larger_fixture()
    {
        // 60 users over 30 items with repeats and ties, items 25-29 without metadata
        var rng = new Letter.Common.SplitMix64(7);
        var lines = new List<string>();
        for (int u = 0; u < 60; u++)
            for (int n = 0, count = 3 + rng.Next(10); n < count; n++)
                lines.Add($"I{rng.Next(30)},U{u},{1 + rng.Next(5)}.0,{1000 + rng.Next(40)}");
        var ratings = string.Join('\n', lines) + "\n";
        var withMeta = Enumerable.Range(0, 25).Select(i => $"I{i}").ToArray();
        var meta = string.Join('\n', withMeta.Select(a => $$"""{"asin": "{{a}}", "title": "T {{a}}", "description": [], "category": [], "brand": ""}""")) + "\n";
        using var f = new ImportFixture();
        var r = f.Import(ImportFormat.Amazon2018, [f.Write("r.csv", ratings), f.Write("m.json", meta)]);
        var expected = LcRecReference(ratings, withMeta, k: 5);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, r.Sequences());
    }

    /// <summary>LC-Rec's steps, one by one, as sequences of original ids ("user: item item").</summary>
    private static string[] LcRecReference(string ratings, IReadOnlyCollection<string> metaItems, int k)
    {
        var inters = ratings.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(','))
            .Select(p => (User: p[1], Item: p[0], Rating: double.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture), Time: long.Parse(p[3])))
            .Distinct().ToList();                       // inters = set()
        inters = InOrder(inters);                       // make_inters_in_order
        inters = inters.Where(i => metaItems.Contains(i.Item)).ToList();   // filter by meta items
        while (true)                                    // filter_inters' k-core loop
        {
            var users = inters.GroupBy(i => i.User).Where(g => g.Count() >= k).Select(g => g.Key).ToHashSet();
            var items = inters.GroupBy(i => i.Item).Where(g => g.Count() >= k).Select(g => g.Key).ToHashSet();
            int filtered = inters.Select(i => i.User).Distinct().Count() - users.Count + inters.Select(i => i.Item).Distinct().Count() - items.Count;
            if (filtered == 0) break;
            inters = inters.Where(i => users.Contains(i.User) && items.Contains(i.Item)).ToList();
        }
        inters = InOrder(inters);
        // convert_inters2dict: ids in order of first appearance
        return inters.GroupBy(i => i.User).Select(g => $"{g.Key}: {string.Join(' ', g.Select(i => i.Item))}").ToArray();

        static List<(string User, string Item, double Rating, long Time)> InOrder(List<(string User, string Item, double Rating, long Time)> rows) =>
            rows.GroupBy(r => r.User)
                .SelectMany(g => g.OrderBy(r => r.Time).DistinctBy(r => r.Item))   // sort (stable) by time, first of each item
                .ToList();
    }
}
