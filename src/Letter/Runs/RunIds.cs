using System.Globalization;
using Letter.Data;
using Letter.IO;

namespace Letter.Runs;

/// <summary>Where a run's id maps were read from.</summary>
public enum IdMapSource
{
    /// <summary>The run folder's own copy (made when it was trained, or grown by the service).</summary>
    RunFolder,
    /// <summary>The run's dataset (runs trained before run folders kept a copy), found where the run record says.</summary>
    Dataset,
    /// <summary>No map: the dataset's ids are the dense ids (item ids 0..n-1, the inter file's user keys).</summary>
    Dense,
}

/// <summary>
/// The ids of a run's dataset: the ids the user's own data had before <c>letter import</c> made them
/// dense (<c>item2id</c>, <c>user2id</c>), so every host speaks them. Without a map an item's id is its
/// dense id written in decimal and a user's id is the inter file's key, so callers never branch on
/// whether a map exists. Immutable; <see cref="WithAddedItems"/> makes a grown copy.
/// </summary>
public sealed class RunIds
{
    private readonly string[]? _items;
    private readonly Dictionary<string, int>? _itemIndex;
    private readonly string[]? _users;
    private readonly Dictionary<string, int>? _userIndex;

    private RunIds(int itemCount, string[]? items, IdMapSource itemSource, string[]? users, IdMapSource userSource)
    {
        ItemCount = itemCount;
        _items = items;
        _itemIndex = items is null ? null : IdMaps.Index(items);
        _users = users;
        _userIndex = users is null ? null : IdMaps.Index(users);
        ItemSource = itemSource;
        UserSource = userSource;
    }

    /// <summary>Ids of <paramref name="itemCount"/> items and of users, without maps (the dense ids are the ids).</summary>
    public static RunIds Dense(int itemCount) => new(itemCount, null, IdMapSource.Dense, null, IdMapSource.Dense);

    /// <summary>Items the ids cover (trained, plus any added through <see cref="WithAddedItems"/>).</summary>
    public int ItemCount { get; }
    public IdMapSource ItemSource { get; }
    public IdMapSource UserSource { get; }
    public bool HasItemMap => _items is not null;
    public bool HasUserMap => _users is not null;

    /// <summary>The dataset id of dense item <paramref name="item"/>.</summary>
    public string ItemId(int item)
    {
        if ((uint)item >= (uint)ItemCount) throw new ArgumentOutOfRangeException(nameof(item), item, $"the run has {ItemCount} items");
        return _items is null ? item.ToString(CultureInfo.InvariantCulture) : _items[item];
    }

    /// <summary>The dense item of a dataset id, or null when no item has it.</summary>
    public int? Item(string itemId)
    {
        if (_itemIndex is not null) return _itemIndex.TryGetValue(itemId, out var d) ? d : null;
        return CanonicalIndex(itemId, ItemCount);
    }

    /// <summary>The dataset id of the user the inter file keys <paramref name="denseUser"/>.</summary>
    public string UserId(string denseUser)
    {
        if (_users is null) return denseUser;
        return CanonicalIndex(denseUser, _users.Length) is int u ? _users[u] : denseUser;
    }

    /// <summary>The inter file's key of the user with dataset id <paramref name="userId"/>, or null when the map has no such user.</summary>
    public string? DenseUser(string userId)
    {
        if (_userIndex is null) return userId;
        return _userIndex.TryGetValue(userId, out var d) ? d.ToString(CultureInfo.InvariantCulture) : null;
    }

    /// <summary>
    /// These ids with items appended (dense ids <see cref="ItemCount"/>, +1, ...), e.g. items added to a
    /// served run. An id that an item already has is refused: ids stay unique.
    /// </summary>
    public RunIds WithAddedItems(IReadOnlyList<string> ids)
    {
        var all = new string[ItemCount + ids.Count];
        for (int i = 0; i < ItemCount; i++) all[i] = ItemId(i);
        var seen = new HashSet<string>(all.Take(ItemCount), StringComparer.Ordinal);
        for (int i = 0; i < ids.Count; i++)
        {
            if (!seen.Add(ids[i])) throw new ArgumentException($"item id {Quoted.Quote(ids[i])} is already taken", nameof(ids));
            all[ItemCount + i] = ids[i];
        }
        return new RunIds(all.Length, all, ItemSource, _users, UserSource);
    }

    /// <summary>Every item's dataset id, dense order.</summary>
    public IEnumerable<string> ItemIds() => Enumerable.Range(0, ItemCount).Select(ItemId);

    /// <summary>
    /// A run's ids: its own copy (<see cref="RunFolder.ItemIdsFile"/>, <see cref="RunFolder.UserIdsFile"/>)
    /// when it has one, else its dataset's maps when the dataset is reachable, else dense. Each map is
    /// read on its own (a dataset may map its items only). Entries of the run's item map beyond
    /// <paramref name="itemCount"/> are items added after training: they belong to whoever added them
    /// (the service keeps them in its added-items file) and are not read here.
    /// </summary>
    /// <param name="datasetDirectory">the run's dataset as recorded, or null; a missing folder means no dataset maps</param>
    /// <param name="itemCount">the run's trained items: a map with fewer entries is an error</param>
    public static RunIds Read(RunFolder run, string? datasetDirectory, int itemCount)
    {
        DatasetFolder? dataset = null;
        if (datasetDirectory is not null && Directory.Exists(datasetDirectory))
        {
            try { dataset = DatasetFolder.Find(datasetDirectory); }
            catch (LetterDataException) { dataset = null; }   // not a dataset any more: the run's copy or dense ids
        }
        var (items, itemSource) = ReadMap(run.ItemIdsFile, dataset is null ? null : IdMaps.ItemFile(dataset));
        var (users, userSource) = ReadMap(run.UserIdsFile, dataset is null ? null : IdMaps.UserFile(dataset));
        if (items is not null)
        {
            var file = itemSource == IdMapSource.RunFolder ? run.ItemIdsFile : IdMaps.ItemFile(dataset!);
            if (items.Length < itemCount || (itemSource == IdMapSource.Dataset && items.Length != itemCount))
                throw new LetterDataException(file, null, $"maps {items.Length} items, the run has {itemCount}");
            if (items.Length > itemCount) items = items[..itemCount];
            CheckUnique(items, file, "item");
        }
        if (users is not null) CheckUnique(users, userSource == IdMapSource.RunFolder ? run.UserIdsFile : IdMaps.UserFile(dataset!), "user");
        return new RunIds(itemCount, items, items is null ? IdMapSource.Dense : itemSource, users, users is null ? IdMapSource.Dense : userSource);
    }

    /// <summary>Copies a dataset's id maps into a run folder (each one it has), so the run keeps its ids wherever it goes.</summary>
    public static void CopyInto(RunFolder run, DatasetFolder dataset)
    {
        foreach (var (from, to) in new[] { (IdMaps.ItemFile(dataset), run.ItemIdsFile), (IdMaps.UserFile(dataset), run.UserIdsFile) })
            if (File.Exists(from)) AtomicFile.Write(to, s => { using var source = File.OpenRead(from); source.CopyTo(s); });
    }

    /// <summary>Writes every item's id (trained and added) as the run's item map, atomically.</summary>
    public void WriteItemMap(RunFolder run) => AtomicFile.Write(run.ItemIdsFile, s => IdMaps.WriteMap(s, ItemIds()));

    private static (string[]? Ids, IdMapSource Source) ReadMap(string runFile, string? datasetFile)
    {
        if (File.Exists(runFile)) return (IdMaps.ReadMap(runFile), IdMapSource.RunFolder);
        if (datasetFile is not null && File.Exists(datasetFile)) return (IdMaps.ReadMap(datasetFile), IdMapSource.Dataset);
        return (null, IdMapSource.Dense);
    }

    private static void CheckUnique(string[] ids, string file, string what)
    {
        var seen = new HashSet<string>(ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++)
            if (!seen.Add(ids[i])) throw new LetterDataException(file, $"line {i + 1}", $"{what} id {Quoted.Quote(ids[i])} appears twice");
    }

    /// <summary>The number <paramref name="text"/> writes in canonical decimal (no sign, no leading zeros) when below <paramref name="count"/>.</summary>
    private static int? CanonicalIndex(string text, int count)
    {
        if (text.Length == 0 || (text.Length > 1 && text[0] == '0')) return null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < count ? n : null;
    }
}
