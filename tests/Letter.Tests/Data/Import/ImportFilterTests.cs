using Letter.Data.Import;

namespace Letter.Tests.Data.Import;

/// <summary>The shared preprocessing, on CSV files with hand-worked results.</summary>
public class ImportFilterTests
{
    private static readonly ImportOptions NoCore = new() { KCore = 0 };

    [Fact]
    public void KCore_runs_to_a_fixed_point()
    {
        // k = 2. Counts: users u1 3, u2 2, u3 2, u4 1; items a 2, b 2, c 2, d 2.
        // round 1 removes u4-d (u4 has 1) -> d has 1; round 2 removes u3-d -> u3 has 1;
        // round 3 removes u3-c -> c has 1; round 4 removes u1-c; round 5 removes nothing.
        // One pass would have stopped after round 1 with u3 still in.
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp\nu1,a,1\nu1,b,2\nu1,c,3\nu2,a,1\nu2,b,2\nu3,c,1\nu3,d,2\nu4,d,1\n");
        var r = f.Import(ImportFormat.Csv, [csv], new ImportOptions { KCore = 2 });
        Assert.Equal(["u1: a b", "u2: a b"], r.Sequences());
        Assert.Equal(4, r.Report.KCoreRounds);
        Assert.Equal(4, r.Report.Dropped.KCore);
        Assert.Equal(new ImportCounts(4, 4, 8), r.Report.Before);
        Assert.Equal(new ImportCounts(2, 2, 4), r.Report.After);
        Assert.Equal("{\n  \"0\": [0, 1],\n  \"1\": [0, 1]\n}\n", r.Inter);
    }

    [Fact]
    public void Equal_times_keep_file_order()
    {
        // u1's rows in file order: x@5 (row 0), y@3 (row 1), z@5 (row 3), w@3 (row 4):
        // time order y, w (both 3, file order), then x, z (both 5, file order)
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp\nu1,x,5\nu1,y,3\nu2,x,9\nu1,z,5\nu1,w,3\n");
        var r = f.Import(ImportFormat.Csv, [csv], NoCore);
        Assert.Equal(["u1: y w x z", "u2: x"], r.Sequences());
        // dense item ids by first appearance along the users' sequences: y 0, w 1, x 2, z 3
        Assert.Equal(["y", "w", "x", "z"], r.ItemIds);
    }

    [Theory]
    [InlineData(DuplicatePolicy.First, "u1: a b c", 1)]
    [InlineData(DuplicatePolicy.Last, "u1: b a c", 1)]
    [InlineData(DuplicatePolicy.All, "u1: a b a c", 0)]
    public void Duplicates(DuplicatePolicy policy, string expected, long dropped)
    {
        // u1 meets a at time 1 and again at 3; the file lists the later one first
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp\nu1,a,3\nu1,b,2\nu1,a,1\nu1,c,4\n");
        var r = f.Import(ImportFormat.Csv, [csv], NoCore with { Duplicates = policy });
        Assert.Equal([expected], r.Sequences());
        Assert.Equal(dropped, r.Report.Dropped.Duplicates);
    }

    [Fact]
    public void Length_cap_keeps_the_latest_and_min_rating_drops_while_reading()
    {
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp,rating\nu1,a,1,5\nu1,b,2,1\nu1,c,3,4\nu1,d,4,4\nu1,e,5,3\n");
        var r = f.Import(ImportFormat.Csv, [csv], NoCore with { MinRating = 3, MaxSequenceLength = 2 });
        // b (rating 1) goes while reading; a c d e capped to the latest two
        Assert.Equal(["u1: d e"], r.Sequences());
        Assert.Equal(1, r.Report.Dropped.BelowMinRating);
        Assert.Equal(2, r.Report.Dropped.BeyondMaxLength);
    }

    [Fact]
    public void Users_are_numbered_by_first_appearance()
    {
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp\nzed,p,9\namy,q,1\nzed,q,1\n");
        var r = f.Import(ImportFormat.Csv, [csv], NoCore);
        Assert.Equal(["zed", "amy"], r.UserIds);
        // zed's sequence is q (1) then p (9): q is item 0
        Assert.Equal(["zed: q p", "amy: q"], r.Sequences());
        Assert.Equal("zed\t0\namy\t1\n", File.ReadAllText(Letter.Data.IdMaps.UserFile(r.Folder)));
    }

    [Fact]
    public void Drop_items_without_text()
    {
        using var f = new ImportFixture();
        var csv = f.Write("i.csv", "user_id,item_id,timestamp\nu1,a,1\nu1,b,2\nu2,b,1\n");
        var items = f.Write("items.csv", "item_id,title\na,Apple\nb,\n");
        var columns = new TableColumns { ItemFile = items, Text = [new TextColumn("title", ItemField.Title)] };
        var kept = f.Import(ImportFormat.Csv, [csv], NoCore, columns, "all");
        Assert.Equal(["u1: a b", "u2: b"], kept.Sequences());
        Assert.Equal("Apple", kept.Items[0].Title);
        Assert.Null(kept.Items[1].Title);  // written as {}
        var dropped = f.Import(ImportFormat.Csv, [csv], NoCore with { DropItemsWithoutText = true }, columns, "text");
        Assert.Equal(["u1: a"], dropped.Sequences());
        Assert.Equal(2, dropped.Report.Dropped.ItemsWithoutText);
    }
}
