using System.Globalization;
using Letter.IO;

namespace Letter.Data;

/// <summary>
/// The id maps <c>letter import</c> writes beside a dataset: <c>NAME.user2id</c> and
/// <c>NAME.item2id</c>, one <c>original id TAB dense id</c> per line, dense ids 0..n-1 in order
/// (the layout of LC-Rec's and LETTER's preprocessing). Lets commands take and show the ids of the
/// user's own data.
/// </summary>
public sealed class IdMaps
{
    private readonly string[] _users, _items;
    private readonly Dictionary<string, int> _userIndex, _itemIndex;

    private IdMaps(string[] users, string[] items)
    {
        _users = users;
        _items = items;
        _userIndex = Index(users);
        _itemIndex = Index(items);
    }

    public static string UserFile(DatasetFolder folder) => Path.Combine(folder.Directory, $"{folder.Name}.user2id");
    public static string ItemFile(DatasetFolder folder) => Path.Combine(folder.Directory, $"{folder.Name}.item2id");

    /// <summary>Both maps, or null when the folder has neither; one without the other is an error.</summary>
    public static IdMaps? TryRead(DatasetFolder folder)
    {
        string users = UserFile(folder), items = ItemFile(folder);
        bool hasUsers = File.Exists(users), hasItems = File.Exists(items);
        if (!hasUsers && !hasItems) return null;
        if (!hasUsers) throw new LetterDataException(users, null, $"file not found ({Path.GetFileName(items)} is there: the id maps come in pairs)");
        if (!hasItems) throw new LetterDataException(items, null, $"file not found ({Path.GetFileName(users)} is there: the id maps come in pairs)");
        return new IdMaps(ReadMap(users), ReadMap(items));
    }

    public int UserCount => _users.Length;
    public int ItemCount => _items.Length;

    public string OriginalUser(int dense) => _users[dense];
    public string OriginalItem(int dense) => _items[dense];
    public int? DenseUser(string original) => _userIndex.TryGetValue(original, out var d) ? d : null;
    public int? DenseItem(string original) => _itemIndex.TryGetValue(original, out var d) ? d : null;

    /// <summary>Reads one map; line i must hold dense id i.</summary>
    public static string[] ReadMap(string file)
    {
        var ids = new List<string>();
        long line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (text.Length == 0) continue;
            int tab = text.LastIndexOf('\t');
            if (tab <= 0) throw new LetterDataException(file, $"line {line}", "expected 'original id<TAB>dense id'");
            if (!int.TryParse(text.AsSpan(tab + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var dense) || dense != ids.Count)
                throw new LetterDataException(file, $"line {line}", $"dense id must be {ids.Count} (ids in order from 0), found '{Quoted.Escape(text[(tab + 1)..])}'");
            ids.Add(text[..tab]);
        }
        return ids.ToArray();
    }

    /// <summary>Writes one map: <c>original id TAB dense id</c> per line, dense ids 0..n-1 in order (what <see cref="ReadMap"/> reads).</summary>
    public static void WriteMap(Stream stream, IEnumerable<string> originals)
    {
        using var w = new StreamWriter(stream, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        int dense = 0;
        foreach (var id in originals)
        {
            w.Write(id);
            w.Write('\t');
            w.Write(dense++.ToString(CultureInfo.InvariantCulture));
            w.Write('\n');
        }
    }

    /// <summary>Each id's position (the first, when an id repeats).</summary>
    public static Dictionary<string, int> Index(string[] ids)
    {
        var index = new Dictionary<string, int>(ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < ids.Length; i++) index.TryAdd(ids[i], i);
        return index;
    }
}
