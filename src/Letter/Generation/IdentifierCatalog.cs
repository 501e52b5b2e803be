using Letter.Data;

namespace Letter.Generation;

/// <summary>
/// The identifiers a generator may produce and the items they stand for: each item's token sequence
/// in the generator's vocabulary (codes, then end-of-sequence), the prefix trie of those sequences,
/// the items that share an identifier (most popular in training first, then by id) and the reverse
/// look-ups. Immutable once built, so safe to share between threads.
/// </summary>
public sealed class IdentifierCatalog : IDisposable
{
    private readonly Dictionary<string, int[]> _itemsByKey = new();
    private readonly string[] _keyOfItem;
    private readonly int[][] _tokensOfItem;
    private readonly Dictionary<int, (int Level, int Code)> _codeOfToken = new();
    private readonly Lazy<int[]> _sequencesUnder;
    private readonly Lazy<Dictionary<string, string>> _keyOfText;

    /// <param name="popularity">training occurrences per item (orders the items of a shared identifier); shorter arrays count the rest as 0</param>
    public IdentifierCatalog(ItemIndex index, int[] popularity, IIdentifierGenerator generator)
    {
        Index = index;
        Popularity = popularity;
        EndToken = generator.EndToken;
        var sizes = index.CodebookSizes();
        for (int l = 0; l < sizes.Length; l++)
            for (int c = 0; c < sizes[l]; c++)
                _codeOfToken[generator.CodeToken(l, c)] = (l, c);
        _keyOfItem = new string[index.ItemCount];
        _tokensOfItem = new int[index.ItemCount][];
        var groups = new Dictionary<string, List<int>>();
        for (int i = 0; i < index.ItemCount; i++)
        {
            var tokens = new int[index.Levels + 1];
            for (int l = 0; l < index.Levels; l++) tokens[l] = generator.CodeToken(l, index.Codes[i][l]);
            tokens[^1] = generator.EndToken;
            _tokensOfItem[i] = tokens;
            var key = Key(tokens.AsSpan(0, index.Levels));
            _keyOfItem[i] = key;
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = [];
            g.Add(i);
        }
        foreach (var (key, items) in groups)
            _itemsByKey[key] = items.OrderByDescending(i => i < popularity.Length ? popularity[i] : 0).ThenBy(i => i).ToArray();
        IdentifierCount = groups.Count;
        Trie = new PrefixTrie(groups.Values.Select(g => _tokensOfItem[g[0]]), generator.VocabularySize);
        _sequencesUnder = new Lazy<int[]>(CountSequencesUnder);
        _keyOfText = new Lazy<Dictionary<string, string>>(() =>
        {
            var d = new Dictionary<string, string>();
            for (int i = 0; i < ItemCount; i++) d.TryAdd(string.Concat(Index.Tokens(i)), _keyOfItem[i]);
            return d;
        });
    }

    public ItemIndex Index { get; }
    public int Levels => Index.Levels;
    /// <summary>Tokens generated per identifier: its codes and end-of-sequence.</summary>
    public int Steps => Index.Levels + 1;
    public int ItemCount => Index.ItemCount;
    public int EndToken { get; }
    /// <summary>Training occurrences per item: the order of the items that share an identifier.</summary>
    public int[] Popularity { get; }
    public PrefixTrie Trie { get; }
    /// <summary>Distinct identifiers (fewer than items when some items share one).</summary>
    public int IdentifierCount { get; }
    public bool HasCollisions => IdentifierCount < Index.ItemCount;

    /// <summary>The key of an identifier's code tokens (no end-of-sequence).</summary>
    public static string Key(ReadOnlySpan<int> codeTokens) => string.Join(',', codeTokens.ToArray());

    /// <summary>The key of a decoded beam's identifier.</summary>
    public string KeyOf(Beam beam) => Key(beam.Tokens.AsSpan(0, Levels));

    public string KeyOfItem(int item) => _keyOfItem[CheckItem(item)];

    /// <summary>An item's token sequence (codes, then end-of-sequence): the decoder target.</summary>
    public int[] TokensOfItem(int item) => _tokensOfItem[CheckItem(item)];

    /// <summary>The items an identifier stands for, most popular first; empty for an identifier of no item.</summary>
    public int[] ItemsOf(string key) => _itemsByKey.TryGetValue(key, out var items) ? items : [];

    /// <summary>The items of a decoded beam.</summary>
    public int[] ItemsOf(Beam beam) => ItemsOf(KeyOf(beam));

    /// <summary>The index's tokens of a decoded beam (e.g. "&lt;a_12&gt;"), codes only.</summary>
    public string[] IdentifierOf(Beam beam)
    {
        var ident = new string[Levels];
        for (int l = 0; l < Levels; l++)
        {
            if (!_codeOfToken.TryGetValue(beam.Tokens[l], out var lc) || lc.Level != l)
                throw new ArgumentException($"token {beam.Tokens[l]} at level {l} is not a code of that level");
            ident[l] = Index.Token(l, lc.Code);
        }
        return ident;
    }

    /// <summary>The items a textual identifier (the index's tokens, e.g. ["&lt;a_1&gt;", ...]) stands for.</summary>
    public int[] ItemsOfIdentifier(IReadOnlyList<string> identifier) =>
        identifier.Count == Levels && _keyOfText.Value.TryGetValue(string.Concat(identifier), out var key) ? ItemsOf(key) : [];

    /// <summary>Per trie node, the number of distinct identifiers below it (the dead node last, 0).</summary>
    internal int[] SequencesUnder => _sequencesUnder.Value;

    private int[] CountSequencesUnder()
    {
        var counts = new int[Trie.NodeCount + 1];
        foreach (var items in _itemsByKey.Values)
            foreach (var node in PrefixNodes(_tokensOfItem[items[0]])) counts[node]++;
        return counts;
    }

    /// <summary>The trie nodes an item's identifier passes through (root excluded, its leaf included).</summary>
    internal IEnumerable<int> PrefixNodes(int[] tokens)
    {
        for (int len = 1; len <= tokens.Length; len++) yield return Trie.Walk(tokens.AsSpan(0, len).ToArray());
    }

    private int CheckItem(int item) => item >= 0 && item < ItemCount ? item
        : throw new ArgumentOutOfRangeException(nameof(item), $"item {item} is not in the catalogue ({ItemCount} items)");

    public void Dispose() => Trie.Dispose();
}
