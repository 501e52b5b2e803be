using Letter.Data;
using Letter.Data.Import;

namespace Letter.Tests.Data.Import;

/// <summary>The safe parser of Python literals (Amazon 2014 metadata), never an evaluator.</summary>
public class PythonLiteralTests
{
    [Theory]
    [InlineData(@"'Rock \'n\' Roll ""Live""'", @"Rock 'n' Roll ""Live""")]
    [InlineData(@"""It's a \""deal\""""", @"It's a ""deal""")]
    [InlineData(@"u'Caf\xc3\xa9'", "Café")]          // Python 2 wrote UTF-8 bytes as \x escapes
    [InlineData(@"'Caf\xe9'", "Café")]               // not UTF-8: Latin-1, as Python 3 reads it
    [InlineData(@"'a\\b\tc\u00e9'", "a\\b\tcé")]
    [InlineData(@"'one' ""two""", "onetwo")]           // adjacent literals join
    [InlineData(@"'''tri'ple'''", "tri'ple")]
    [InlineData(@"r'raw\n'", @"raw\n")]
    public void Strings(string literal, string expected) =>
        Assert.Equal(expected, PythonLiteralRecords.ParseValue(literal));

    [Fact]
    public void Containers_numbers_and_constants()
    {
        var v = (Dictionary<object, object?>)PythonLiteralRecords.ParseValue("{'a': [1, -2.5e3, (True, None)], 'b': {'c': False}, 'd': {1, 2},}")!;
        var a = (List<object?>)v["a"]!;
        Assert.Equal("1", a[0]!.ToString());
        Assert.Equal("-2.5e3", a[1]!.ToString());
        Assert.Equal([true, null], (List<object?>)a[2]!);
        Assert.Equal(false, ((Dictionary<object, object?>)v["b"]!)["c"]);
        Assert.Equal(2, ((List<object?>)v["d"]!).Count);
    }

    [Theory]
    [InlineData("__import__('os').system('true')")]
    [InlineData("{'a': open('x')}")]
    [InlineData("{'a': 1 + 2}")]
    [InlineData("{'a': 'unterminated}")]
    public void Anything_but_a_literal_is_refused(string text) =>
        Assert.Throws<FormatException>(() => PythonLiteralRecords.ParseValue(text));

    [Fact]
    public void Amazon_2014_metadata_with_nested_quotes_gzipped()
    {
        using var f = new ImportFixture();
        var reviews = f.Write("reviews.json", string.Join('\n',
            """{"reviewerID": "R1", "asin": "B01", "overall": 5.0, "unixReviewTime": 200}""",
            """{"reviewerID": "R1", "asin": "B02", "overall": 4.0, "unixReviewTime": 100}""",
            """{"reviewerID": "R2", "asin": "B02", "overall": 3.0, "unixReviewTime": 300}""") + "\n");
        var meta = f.WriteGzip("meta.json.gz", string.Join('\n',
            """{'asin': 'B01', 'title': 'Rock \'n\' Roll "Live"', 'description': "It's a \"deal\"", 'categories': [['Music', 'Rock'], ['Music', 'Live']], 'salesRank': {'Music': 5}, 'price': 3.5, 'brand': u'Caf\xc3\xa9'}""",
            """{'asin': 'B02', 'title': __import__('os').system('echo no')}""",
            """{'asin': 'B03', 'title': 'never used'}""") + "\n");
        var r = f.Import(ImportFormat.Amazon2014, [reviews, meta], new ImportOptions { KCore = 0 });
        Assert.Equal(["R1: B02 B01", "R2: B02"], r.Sequences());
        Assert.Equal(new ItemText("Rock 'n' Roll \"Live\"", "It's a \"deal\"", "Music, Rock, Live", "Café"), r.Items[1]);
        Assert.Equal(new ItemText(null, null, null, null), r.Items[0]);   // B02's line was refused
        var bad = Assert.Single(r.Report.FirstBadRows);
        Assert.Equal(meta, bad.File);
        Assert.Equal(2, bad.Line);
        Assert.Contains("\"__import__\" is not a literal", bad.Problem);
    }
}
