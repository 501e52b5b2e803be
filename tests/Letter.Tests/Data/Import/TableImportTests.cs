using Letter.Data;
using Letter.Data.Import;
using Letter.IO;
using Parquet;
using Parquet.Schema;

namespace Letter.Tests.Data.Import;

/// <summary>CSV, TSV, JSON lines and Parquet with the caller's columns.</summary>
public class TableImportTests
{
    private static readonly ImportOptions NoCore = new() { KCore = 0 };

    private const string Csv =
        "user,item,when,stars\n" +                // line 1
        "u1,\"i,1\",1,5\n" +                        // line 2: a quoted id with the separator in it
        "u1,i2,2,4\n" +                             // line 3
        "u2,,3,4\n" +                               // line 4: no item id
        "u2,i2,1,3\n" +                             // line 5
        "u2,i3,soon,2\n" +                          // line 6: a time that is neither number nor date
        "u2,\"i,1\",2015-01-02T00:00:00Z,1\n";      // line 7: an ISO date

    private static readonly TableColumns Columns = new() { User = "user", Item = "item", Time = "when", Rating = "stars" };

    [Fact]
    public void Csv_with_quotes_bad_rows_reported_with_line_numbers()
    {
        using var f = new ImportFixture();
        var r = f.Import(ImportFormat.Csv, [f.Write("i.csv", Csv)], NoCore, Columns);
        Assert.Equal(["u1: i,1 i2", "u2: i2 i,1"], r.Sequences());
        Assert.Equal(6, r.Report.RowsRead);
        Assert.Equal(2, r.Report.Dropped.BadRows);
        Assert.Equal([4L, 6L], r.Report.FirstBadRows.Select(b => b.Line));
        Assert.Contains("no item id", r.Report.FirstBadRows[0].Problem);
        Assert.Contains("time \"soon\" is not a number or a date", r.Report.FirstBadRows[1].Problem);
        // the report is written beside the dataset
        Assert.True(File.Exists(Path.Combine(r.Directory, "ds.import.json")));
    }

    [Fact]
    public void Strict_stops_at_the_first_bad_row_naming_file_and_line()
    {
        using var f = new ImportFixture();
        var path = f.Write("i.csv", Csv);
        var e = Assert.Throws<LetterDataException>(() => f.Import(ImportFormat.Csv, [path], NoCore with { Strict = true }, Columns));
        Assert.Equal(path, e.File);
        Assert.Equal("line 4", e.Record);
    }

    [Fact]
    public void Gzipped_input_gives_the_same_bytes_and_repeats_are_identical()
    {
        using var f = new ImportFixture();
        var plain = f.Import(ImportFormat.Csv, [f.Write("i.csv", Csv)], NoCore, Columns, "plain");
        var gz = f.Import(ImportFormat.Csv, [f.WriteGzip("i.csv.gz", Csv)], NoCore, Columns, "gz");
        var again = f.Import(ImportFormat.Csv, [f.Write("i.csv", Csv)], NoCore, Columns, "again");
        foreach (var file in new[] { "ds.inter.json", "ds.user2id", "ds.item2id" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(plain.Directory, file)), File.ReadAllBytes(Path.Combine(gz.Directory, file)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(plain.Directory, file)), File.ReadAllBytes(Path.Combine(again.Directory, file)));
        }
        Assert.Equal(
            File.ReadAllText(Path.Combine(plain.Directory, "ds.import.json")),
            File.ReadAllText(Path.Combine(again.Directory, "ds.import.json")).Replace("again", "plain"));
    }

    [Fact]
    public void Min_rating_counts_what_it_drops()
    {
        using var f = new ImportFixture();
        var r = f.Import(ImportFormat.Csv, [f.Write("i.csv", Csv)], NoCore with { MinRating = 4 }, Columns);
        Assert.Equal(["u1: i,1 i2"], r.Sequences());
        Assert.Equal(2, r.Report.Dropped.BelowMinRating);  // lines 5 and 7; line 4 and 6 are bad first
    }

    [Fact]
    public void Tsv_without_header_multiline_quoted_text_and_item_file()
    {
        using var f = new ImportFixture();
        var inter = f.Write("i.tsv", "7\t100\t20\n7\t200\t10\n8\t100\t5\n");
        // item 100's description spans two lines inside quotes; "" is a quote
        var items = f.Write("items.tsv", "100\t\"Red \"\"Fox\"\"\"\t\"A fox\nthat runs\"\tAnimals\n200\tBlue Whale\t\tSea\n300\tUnused\tx\ty\n");
        var columns = new TableColumns
        {
            User = "1", Item = "2", Time = "3", Header = false, ItemFile = items, ItemIdColumn = "1",
            Text = [new TextColumn("2", ItemField.Title), new TextColumn("3", ItemField.Description), new TextColumn("4", ItemField.Categories)],
        };
        var r = f.Import(ImportFormat.Tsv, [inter], NoCore, columns);
        Assert.Equal(["7: 200 100", "8: 100"], r.Sequences());
        var text = r.Items;
        Assert.Equal(2, text.Length);
        Assert.Equal(new ItemText("Blue Whale", null, "Sea", null), text[0]);
        Assert.Equal("Red \"Fox\"", text[1].Title);
        Assert.Equal("A fox\nthat runs", text[1].Description);
        Assert.Equal(2, r.Report.ItemsWithText);
    }

    [Fact]
    public void Json_lines_with_default_columns_and_list_text()
    {
        using var f = new ImportFixture();
        var inter = f.Write("i.jsonl",
            "{\"user_id\": \"a\", \"item_id\": 1, \"timestamp\": 20, \"text\": \"ignored {\\\"nested\\\"}\"}\n" +
            "\n" +
            "{\"user_id\": \"a\", \"item_id\": 2, \"timestamp\": 10}\n" +
            "not json\n" +
            "{\"user_id\": \"b\", \"item_id\": 2, \"timestamp\": 30, \"extra\": {\"deep\": [1, 2]}}\n");
        var items = f.Write("items.jsonl",
            "{\"item_id\": 1, \"title\": \"One\", \"tags\": [\"x\", [\"y\", \"z\"]]}\n{\"item_id\": 2, \"title\": \"Two\", \"tags\": null}\n");
        var r = f.Import(ImportFormat.JsonLines, [inter], NoCore,
            new TableColumns { ItemFile = items, Text = [new TextColumn("title", ItemField.Title), new TextColumn("tags", ItemField.Categories)] });
        Assert.Equal(["a: 2 1", "b: 2"], r.Sequences());
        Assert.Equal([4L], r.Report.FirstBadRows.Select(b => b.Line));
        Assert.Equal(new ItemText("Two", null, null, null), r.Items[0]);
        Assert.Equal(new ItemText("One", null, "x, y, z", null), r.Items[1]);
    }

    [Fact]
    public async Task Parquet_columns_by_name()
    {
        using var f = new ImportFixture();
        var path = f.Folder("i.parquet");
        var user = new DataField<string>("user");
        var item = new DataField<long>("item");
        var time = new DataField<double>("ts");
        await using (var stream = File.Create(path))
        {
            await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(user, item, time), stream);
            using var group = writer.CreateRowGroup();
            await group.WriteAsync(user, new[] { "x", "y", "x" });
            await group.WriteAsync(item, (ReadOnlyMemory<long>)new long[] { 5, 5, 6 });
            await group.WriteAsync(time, (ReadOnlyMemory<double>)new double[] { 2, 1, 1 });
        }
        var r = f.Import(ImportFormat.Parquet, [path], NoCore, new TableColumns { User = "user", Item = "item", Time = "ts" });
        Assert.Equal(["x: 6 5", "y: 5"], r.Sequences());
        Assert.Equal(3, r.Report.RowsRead);
    }

    [Fact]
    public void A_missing_column_names_the_file_and_the_columns_it_has()
    {
        using var f = new ImportFixture();
        var path = f.Write("i.csv", "u,i\n1,2\n");
        var e = Assert.Throws<LetterDataException>(() => f.Import(ImportFormat.Csv, [path], NoCore));
        Assert.Equal(path, e.File);
        Assert.Contains("has no user id column \"user_id\"", e.Problem);
        Assert.Contains("(columns: \"u\", \"i\")", e.Problem);
    }
}
