using System.Text;
using System.Text.Json;
using Letter.Data;
using Letter.Data.Import;
using Letter.Tests.Cli;

namespace Letter.Tests.Data.Import;

/// <summary>RecBole, MovieLens, Amazon 2023 and Yelp on small files written here, and ml-100k from ../shared.</summary>
public class FormatImportTests
{
    private static readonly ImportOptions NoCore = new() { KCore = 0 };

    [Fact]
    public void RecBole_typed_headers_and_token_seq_genres()
    {
        using var f = new ImportFixture();
        var inter = f.Write("ml/ml.inter", "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t300\n1\t20\t2\t100\n2\t10\t5\t100\n");
        f.Write("ml/ml.item", "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n10\tToy Story\t1995\tAnimation Children's Comedy\n20\tHeat\t1995\tAction Crime\n");
        var r = f.Import(ImportFormat.RecBole, [f.Folder("ml")], NoCore with { MinRating = 3 });
        Assert.Equal(["1: 10", "2: 10"], r.Sequences());
        Assert.Equal(1, r.Report.Dropped.BelowMinRating);
        Assert.Equal(new ItemText("Toy Story", null, "Animation, Children's, Comedy", null), Assert.Single(r.Items));
        Assert.Equal(inter, r.Report.Interactions[0].Path);
    }

    [Fact]
    public void MovieLens_100K_flags_and_latin1_titles()
    {
        using var f = new ImportFixture();
        f.Write("ml-100k/u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t4\t881250949\n");
        var flags242 = "0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0";           // Comedy
        var flags302 = "0|0|0|0|0|0|1|0|0|0|1|0|0|1|0|0|1|0|0";           // Crime, Film-Noir, Mystery, Thriller
        var latin1 = Encoding.Latin1.GetBytes($"242|Kolya (1996)|24-Jan-1997||http://x|{flags242}\n302|L.A. Confidential (1997)|01-Jan-1997||http://y|{flags302}\n303|Caf\u00e9 (1990)|01-Jan-1990||http://z|{flags242}\n");
        f.WriteBytes("ml-100k/u.item", latin1);
        var r = f.Import(ImportFormat.MovieLens, [f.Folder("ml-100k")], NoCore);
        // user 196's two ratings share a time: file order (242, then 302)
        Assert.Equal(["196: 242 302", "186: 302"], r.Sequences());
        Assert.Equal(new ItemText("Kolya (1996)", null, "Comedy", null), r.Items[0]);
        Assert.Equal("Crime, Film-Noir, Mystery, Thriller", r.Items[1].Categories);
    }

    [Fact]
    public void MovieLens_1M_dat_and_latest_csv()
    {
        using var f = new ImportFixture();
        f.Write("ml-1m/ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n");
        f.WriteBytes("ml-1m/movies.dat", Encoding.Latin1.GetBytes("1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"));
        var dat = f.Import(ImportFormat.MovieLens, [f.Folder("ml-1m/ratings.dat")], NoCore, output: "dat");
        Assert.Equal(["1: 1193 661"], dat.Sequences());
        Assert.Equal("Animation, Children's, Musical", dat.Items[1].Categories);

        f.Write("ml-latest/ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.0,964981247\n");
        f.Write("ml-latest/movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,\"Grumpier Old Men, The (1995)\",(no genres listed)\n");
        var csv = f.Import(ImportFormat.MovieLens, [f.Folder("ml-latest")], NoCore, output: "csv");
        Assert.Equal(["1: 3 1"], csv.Sequences());
        Assert.Equal(new ItemText("Grumpier Old Men, The (1995)", null, null, null), csv.Items[0]);
        Assert.Equal("Adventure, Animation", csv.Items[1].Categories);
    }

    [Fact]
    public void Amazon_2023_parent_asin_and_millisecond_times()
    {
        using var f = new ImportFixture();
        var reviews = f.WriteGzip("All_Beauty.jsonl.gz", string.Join('\n',
            """{"rating": 5.0, "title": "x", "text": "great", "asin": "C1", "parent_asin": "P1", "user_id": "AU", "timestamp": 1588687728923, "verified_purchase": true}""",
            """{"rating": 4.0, "title": "y", "text": "ok", "asin": "C2", "parent_asin": "P2", "user_id": "AU", "timestamp": 1588687728000, "helpful_vote": 0}""") + "\n");
        var meta = f.Write("meta_All_Beauty.jsonl", string.Join('\n',
            """{"main_category": "All Beauty", "title": "Soap", "features": [], "description": ["Mild.", "Unscented."], "store": "Acme", "categories": ["Beauty", "Bath"], "details": {"Size": "1"}, "parent_asin": "P1"}""",
            """{"title": "Brush", "description": [], "categories": [], "store": null, "parent_asin": "P2"}""") + "\n");
        var r = f.Import(ImportFormat.Amazon2023, [reviews, meta], NoCore);
        Assert.Equal(["AU: P2 P1"], r.Sequences());   // 1588687728000 ms comes before ...923 ms
        Assert.Equal(new ItemText("Brush", null, null, null), r.Items[0]);
        Assert.Equal(new ItemText("Soap", "Mild. Unscented.", "Beauty, Bath", "Acme"), r.Items[1]);
    }

    [Fact]
    public void Yelp_folder_dates_and_business_text()
    {
        using var f = new ImportFixture();
        f.Write("yelp/yelp_academic_dataset_review.json", string.Join('\n',
            """{"review_id": "r1", "user_id": "u", "business_id": "b1", "stars": 4.0, "text": "Nice \"place\"", "date": "2018-07-07 22:09:11"}""",
            """{"review_id": "r2", "user_id": "u", "business_id": "b2", "stars": 2.0, "text": "Meh", "date": "2012-01-03 15:28:18"}""") + "\n");
        f.Write("yelp/yelp_academic_dataset_business.json",
            """{"business_id": "b1", "name": "The Great Greek", "city": "Henderson", "attributes": {"WiFi": "u'free'"}, "categories": "Diners, Greek, Mediterranean"}""" + "\n");
        var r = f.Import(ImportFormat.Yelp, [f.Folder("yelp")], NoCore);
        Assert.Equal(["u: b2 b1"], r.Sequences());
        Assert.Equal(new ItemText("The Great Greek", null, "Diners, Greek, Mediterranean", null), r.Items[1]);
        Assert.Equal(new ItemText(null, null, null, null), r.Items[0]);
    }

    [SharedDataFact("data", "ml-100k-recbole")]
    public void RecBole_ml_100k_through_the_cli_then_stats()
    {
        using var dir = new TempDir();
        var outDir = Path.Combine(dir.Path, "ml-100k");
        var r = CliRunner.Run("import", "recbole", SharedData.Dataset("ml-100k-recbole"), "--out", outDir, "--quiet");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains("kept 943 users, 1,349 items (1,349 with text), 99,287 interactions", r.Stdout);
        var stats = CliRunner.Run("data", "stats", outDir, "--json");
        Assert.Equal(0, stats.ExitCode);
        using var doc = JsonDocument.Parse(stats.Stdout);
        Assert.Equal(943, doc.RootElement.GetProperty("users").GetInt32());
        Assert.Equal(1349, doc.RootElement.GetProperty("items").GetInt32());
        Assert.Equal(99287, doc.RootElement.GetProperty("interactions").GetInt32());
        var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "ml-100k.import.json"))).RootElement;
        Assert.Equal(713, report.GetProperty("dropped").GetProperty("k_core").GetInt64());
        Assert.StartsWith("letter import recbole ", report.GetProperty("command").GetString());
        Assert.Equal("Toy Story", LetterDataset.Load(outDir).Items!.First(t => t.Title == "Toy Story").Title);
    }

    [Fact]
    public void Cli_bad_input_is_one_line_and_exit_2()
    {
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id\na,1\nb,\n");
        var r = CliRunner.Run("import", "csv", csv, "--out", f.Folder("o"), "--strict", "--k-core", "0", "--quiet");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"letter: {csv}: line 3: no item id (column \"item_id\")", Assert.Single(r.ErrorLines));
        var usage = CliRunner.Run("import", "csv", csv, "--out", f.Folder("o"), "--text-cols", "name=colour");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--text-cols", usage.Stderr);
    }
}
