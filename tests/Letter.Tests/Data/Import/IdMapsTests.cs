using Letter.Data;
using Letter.Data.Import;
using Letter.IO;

namespace Letter.Tests.Data.Import;

public class IdMapsTests
{
    [Fact]
    public void Maps_written_by_import_read_back_both_ways()
    {
        using var f = new ImportFixture();
        var r = f.Import(ImportFormat.Csv, [f.Write("i.csv", "user_id,item_id,timestamp\nbob,x,2\nann,y,1\nbob,y,1\n")], new ImportOptions { KCore = 0 });
        var maps = IdMaps.TryRead(r.Folder)!;
        Assert.Equal("bob", maps.OriginalUser(0));
        Assert.Equal(1, maps.DenseUser("ann"));
        Assert.Equal("y", maps.OriginalItem(0));   // bob's first item in time order
        Assert.Equal(1, maps.DenseItem("x"));
        Assert.Null(maps.DenseItem("z"));
    }

    [Fact]
    public void A_lone_map_or_a_gap_in_dense_ids_is_an_error()
    {
        using var dir = new TempDir();
        var folder = new DatasetFolder(dir.Path, "ds");
        Assert.Null(IdMaps.TryRead(folder));
        File.WriteAllText(IdMaps.ItemFile(folder), "a\t0\nb\t2\n");
        var lone = Assert.Throws<LetterDataException>(() => IdMaps.TryRead(folder));
        Assert.Equal(IdMaps.UserFile(folder), lone.File);
        File.WriteAllText(IdMaps.UserFile(folder), "u\t0\n");
        var gap = Assert.Throws<LetterDataException>(() => IdMaps.TryRead(folder));
        Assert.Equal("line 2", gap.Record);
    }
}
