using Letter.Data;
using Letter.IO;
using Letter.Runs;

namespace Letter.Tests.Runs;

public class RunIdsTests
{
    /// <summary>A dataset folder (an inter file and the two maps) and a run folder beside it.</summary>
    private sealed class Layout : IDisposable
    {
        private readonly TempDir _dir = new();
        public Layout(string? items = "B-x\t0\nB-y\t1\nB-z\t2\n", string? users = "ann\t0\nbob\t1\n")
        {
            Dataset = Path.Combine(_dir.Path, "ds");
            Directory.CreateDirectory(Dataset);
            File.WriteAllText(Path.Combine(Dataset, "D.inter.json"), "{}");
            Folder = new DatasetFolder(Dataset, "D");
            if (items is not null) File.WriteAllText(IdMaps.ItemFile(Folder), items);
            if (users is not null) File.WriteAllText(IdMaps.UserFile(Folder), users);
            Run = new RunFolder(Path.Combine(_dir.Path, "run"));
            Directory.CreateDirectory(Run.Directory);
        }
        public string Dataset { get; }
        public DatasetFolder Folder { get; }
        public RunFolder Run { get; }
        public string Root => _dir.Path;
        public void Dispose() => _dir.Dispose();
    }

    [Fact]
    public void Without_maps_the_dense_ids_are_the_ids()
    {
        var ids = RunIds.Dense(12);
        Assert.Equal("11", ids.ItemId(11));
        Assert.Equal(7, ids.Item("7"));
        Assert.Null(ids.Item("12"));    // out of range
        Assert.Null(ids.Item("07"));    // not how item 7 is written: ids stay one-to-one
        Assert.Null(ids.Item("-1"));
        Assert.Null(ids.Item("+1"));
        Assert.Equal("u9", ids.UserId("u9"));
        Assert.Equal("u9", ids.DenseUser("u9"));
        Assert.False(ids.HasItemMap);
        Assert.Throws<ArgumentOutOfRangeException>(() => ids.ItemId(12));
    }

    [Fact]
    public void A_trained_run_keeps_its_dataset_ids_after_the_dataset_moves_away()
    {
        using var l = new Layout();
        RunIds.CopyInto(l.Run, l.Folder);
        Directory.Delete(l.Dataset, recursive: true);
        var ids = RunIds.Read(l.Run, l.Dataset, 3);
        Assert.Equal(IdMapSource.RunFolder, ids.ItemSource);
        Assert.Equal(IdMapSource.RunFolder, ids.UserSource);
        Assert.Equal("B-y", ids.ItemId(1));
        Assert.Equal(2, ids.Item("B-z"));
        Assert.Null(ids.Item("2"));     // with a map, dense numbers are not item ids
        Assert.Equal("bob", ids.UserId("1"));
        Assert.Equal("0", ids.DenseUser("ann"));
        Assert.Null(ids.DenseUser("carl"));
    }

    [Fact]
    public void An_older_run_reads_its_datasets_maps_and_its_own_copy_wins_when_both_exist()
    {
        using var l = new Layout();
        var fromDataset = RunIds.Read(l.Run, l.Dataset, 3);
        Assert.Equal(IdMapSource.Dataset, fromDataset.ItemSource);
        Assert.Equal("B-x", fromDataset.ItemId(0));

        File.WriteAllText(l.Run.ItemIdsFile, "R-x\t0\nR-y\t1\nR-z\t2\n");
        var own = RunIds.Read(l.Run, l.Dataset, 3);
        Assert.Equal(IdMapSource.RunFolder, own.ItemSource);
        Assert.Equal("R-x", own.ItemId(0));
        Assert.Equal(IdMapSource.Dataset, own.UserSource);   // each map on its own: the run has no user copy
        Assert.Equal("bob", own.UserId("1"));
    }

    [Fact]
    public void A_dataset_that_maps_only_its_items_gives_dense_user_ids()
    {
        using var l = new Layout(users: null);
        RunIds.CopyInto(l.Run, l.Folder);
        Assert.False(File.Exists(l.Run.UserIdsFile));
        var ids = RunIds.Read(l.Run, l.Dataset, 3);
        Assert.True(ids.HasItemMap);
        Assert.False(ids.HasUserMap);
        Assert.Equal("17", ids.UserId("17"));
    }

    [Fact]
    public void Unreachable_dataset_and_no_copy_is_dense()
    {
        using var l = new Layout();
        var ids = RunIds.Read(l.Run, Path.Combine(l.Root, "gone"), 3);
        Assert.Equal(IdMapSource.Dense, ids.ItemSource);
        Assert.Equal("2", ids.ItemId(2));
    }

    [Fact]
    public void A_map_of_another_size_or_with_a_repeated_id_is_refused_naming_the_file()
    {
        using var l = new Layout();
        var count = Assert.Throws<LetterDataException>(() => RunIds.Read(l.Run, l.Dataset, 4));
        Assert.Equal(IdMaps.ItemFile(l.Folder), count.File);
        Assert.Contains("maps 3 items, the run has 4", count.Message);

        // the dataset's map must be exactly the run's items; the run's own may hold added items after them
        var larger = Assert.Throws<LetterDataException>(() => RunIds.Read(l.Run, l.Dataset, 2));
        Assert.Contains("maps 3 items, the run has 2", larger.Message);

        File.WriteAllText(l.Run.ItemIdsFile, "a\t0\nb\t1\na\t2\n");
        var twice = Assert.Throws<LetterDataException>(() => RunIds.Read(l.Run, l.Dataset, 3));
        Assert.Equal(l.Run.ItemIdsFile, twice.File);
        Assert.Equal("line 3", twice.Record);
        Assert.Contains("item id \"a\" appears twice", twice.Message);
    }

    [Fact]
    public void Added_items_get_new_ids_that_never_repeat_and_the_grown_map_reads_back()
    {
        using var l = new Layout();
        RunIds.CopyInto(l.Run, l.Folder);
        var trained = RunIds.Read(l.Run, l.Dataset, 3);
        var grown = trained.WithAddedItems(["new-1", "new-2"]);
        Assert.Equal(5, grown.ItemCount);
        Assert.Equal(4, grown.Item("new-2"));
        Assert.Equal("B-x", grown.ItemId(0));
        Assert.Equal(3, trained.ItemCount);   // the original is unchanged
        var taken = Assert.Throws<ArgumentException>(() => trained.WithAddedItems(["B-y"]));
        Assert.Contains("item id \"B-y\" is already taken", taken.Message);
        Assert.Throws<ArgumentException>(() => trained.WithAddedItems(["n", "n"]));

        grown.WriteItemMap(l.Run);
        Assert.Equal("B-x\t0\nB-y\t1\nB-z\t2\nnew-1\t3\nnew-2\t4\n", File.ReadAllText(l.Run.ItemIdsFile));
        Assert.Equal(IdMaps.ReadMap(l.Run.ItemIdsFile), grown.ItemIds());
        // read as the trained run: the added entries belong to whoever added them
        var reread = RunIds.Read(l.Run, l.Dataset, 3);
        Assert.Equal(3, reread.ItemCount);
        Assert.Null(reread.Item("new-1"));
    }

    [Fact]
    public void Dense_ids_grow_as_their_decimal_text_and_refuse_a_taken_number()
    {
        var grown = RunIds.Dense(3).WithAddedItems(["sku-9"]);
        Assert.Equal("2", grown.ItemId(2));
        Assert.Equal(3, grown.Item("sku-9"));
        Assert.Equal(1, grown.Item("1"));
        Assert.Throws<ArgumentException>(() => RunIds.Dense(3).WithAddedItems(["2"]));
    }
}
