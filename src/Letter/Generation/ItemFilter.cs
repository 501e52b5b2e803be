namespace Letter.Generation;

/// <summary>
/// Which items one decoding may return: none of <see cref="Exclude"/>, and only <see cref="Only"/>
/// when that is given. Applied inside the beam search (an identifier whose items are all refused is
/// never generated), so k identifiers come back whenever k are allowed.
/// </summary>
public sealed record ItemFilter(IReadOnlySet<int>? Exclude = null, IReadOnlySet<int>? Only = null)
{
    public static ItemFilter Excluding(IEnumerable<int> items) => new(Exclude: items.ToHashSet());

    public bool Allows(int item) => (Only is null || Only.Contains(item)) && (Exclude is null || !Exclude.Contains(item));

    internal bool IsEmpty => Only is null && (Exclude is null || Exclude.Count == 0);
}

/// <summary>
/// An <see cref="ItemFilter"/> compiled against a catalogue: per trie node, whether any allowed
/// identifier lies below it. Only the nodes on the paths of the refused (or, with a candidate list,
/// the allowed) identifiers are stored, so compiling costs the size of the lists, not of the catalogue.
/// </summary>
public sealed class NodeLiveness
{
    private readonly IdentifierCatalog _catalog;
    private readonly Dictionary<int, int> _counts = new();
    // the (token, child) edges on the counted identifiers' paths, by parent node
    private readonly Dictionary<int, List<(int Token, int Child)>> _edges = new();
    private readonly bool _countsAllowed; // true: _counts are allowed identifiers below a node; false: refused ones

    public NodeLiveness(IdentifierCatalog catalog, ItemFilter filter)
    {
        _catalog = catalog;
        _countsAllowed = filter.Only is not null;
        var seeds = filter.Only ?? filter.Exclude ?? (IReadOnlySet<int>)new HashSet<int>();
        // candidate mode counts the allowed identifiers below each node; exclusion mode the fully refused ones
        var counted = seeds.Where(i => i >= 0 && i < catalog.ItemCount) // unknown ids are the caller's to refuse; here they match nothing
            .Select(catalog.KeyOfItem).Distinct()
            .Where(key => catalog.ItemsOf(key).Any(filter.Allows) == _countsAllowed).ToList();
        foreach (var key in counted)
        {
            var tokens = catalog.TokensOfItem(catalog.ItemsOf(key)[0]);
            int parent = 0; // the root
            int t = 0;
            foreach (var node in catalog.PrefixNodes(tokens))
            {
                int count = _counts.GetValueOrDefault(node);
                if (count == 0)
                {
                    if (!_edges.TryGetValue(parent, out var list)) _edges[parent] = list = [];
                    list.Add((tokens[t], node));
                }
                _counts[node] = count + 1;
                parent = node;
                t++;
            }
        }
        LiveIdentifiers = _countsAllowed ? counted.Count : catalog.IdentifierCount - counted.Count;
    }

    /// <summary>Identifiers the filter lets through.</summary>
    public int LiveIdentifiers { get; }

    /// <summary>True: only <see cref="LiveTokens"/> may extend a node; false: any trie continuation but <see cref="RefusedTokens"/>.</summary>
    public bool OnlyListed => _countsAllowed;

    public bool IsLive(int node)
    {
        if (node == _catalog.Trie.DeadNode) return false;
        int counted = _counts.GetValueOrDefault(node);
        return _countsAllowed ? counted > 0 : _catalog.SequencesUnder[node] - counted > 0;
    }

    /// <summary>With a candidate list: the tokens that extend <paramref name="node"/> towards an allowed identifier.</summary>
    public IEnumerable<int> LiveTokens(int node) =>
        _edges.TryGetValue(node, out var list) ? list.Select(e => e.Token) : [];

    /// <summary>With exclusions: the tokens from <paramref name="node"/> whose every identifier below is refused.</summary>
    public IEnumerable<int> RefusedTokens(int node) =>
        _edges.TryGetValue(node, out var list) ? list.Where(e => !IsLive(e.Child)).Select(e => e.Token) : [];
}
