using static TorchSharp.torch;

namespace Letter.Decoding;

/// <summary>
/// A prefix trie of the valid token sequences (identifier tokens + end-of-sequence), held as tensors
/// so that one step of beam search masks and advances every beam of every user at once: row n of
/// <see cref="Allowed"/> is the bool mask of tokens that extend node n; <see cref="Child"/> follows an
/// edge through sorted keys node * V + token. Missing edges lead to a dead node with an empty row.
/// </summary>
public sealed class PrefixTrie : IDisposable
{
    private readonly List<Dictionary<int, int>> _children;
    private readonly Tensor _keys;
    private readonly Tensor _values;

    public PrefixTrie(IEnumerable<int[]> sequences, int vocabularySize)
    {
        VocabularySize = vocabularySize;
        _children = [new Dictionary<int, int>()];
        var distinct = new HashSet<string>();
        foreach (var s in sequences)
        {
            if (distinct.Add(string.Join(',', s))) SequenceCount++;
            int node = 0;
            foreach (var t in s)
            {
                if (t < 0 || t >= vocabularySize) throw new ArgumentOutOfRangeException(nameof(sequences), $"token {t} is outside the vocabulary of {vocabularySize}");
                if (!_children[node].TryGetValue(t, out var next))
                {
                    next = _children.Count;
                    _children[node][t] = next;
                    _children.Add(new Dictionary<int, int>());
                }
                node = next;
            }
        }
        DeadNode = _children.Count;
        var allowed = new bool[(long)(DeadNode + 1) * vocabularySize];
        var edges = new List<(long Key, long Child)>();
        for (int n = 0; n < _children.Count; n++)
            foreach (var (t, c) in _children[n])
            {
                allowed[(long)n * vocabularySize + t] = true;
                edges.Add(((long)n * vocabularySize + t, c));
            }
        edges.Sort((a, b) => a.Key.CompareTo(b.Key));
        Allowed = tensor(allowed, [DeadNode + 1, vocabularySize]);
        _keys = tensor(edges.Select(e => e.Key).ToArray());
        _values = tensor(edges.Select(e => e.Child).ToArray());
    }

    public int VocabularySize { get; }
    public int NodeCount => _children.Count;
    public int DeadNode { get; }
    /// <summary>Distinct sequences inserted.</summary>
    public int SequenceCount { get; }

    /// <summary>[nodes + 1, V] bool; the last row (the dead node) is all false.</summary>
    public Tensor Allowed { get; }

    /// <summary>The masks of tokens that extend the given nodes: nodes [N] int64 -> [N, V] bool (the dead node's row all false).</summary>
    public Tensor AllowedMask(Tensor nodes) => Allowed.index_select(0, nodes);

    /// <summary>The tokens that extend a node (for checks and tests).</summary>
    public IReadOnlyCollection<int> Continuations(int node) =>
        node >= 0 && node < _children.Count ? _children[node].Keys : Array.Empty<int>();

    /// <summary>The node reached from the root by a token prefix, or the dead node.</summary>
    public int Walk(IEnumerable<int> prefix)
    {
        int node = 0;
        foreach (var t in prefix)
            if (node == DeadNode || !_children[node].TryGetValue(t, out node)) return DeadNode;
        return node;
    }

    /// <summary>Children of nodes by tokens, element-wise (any equal shapes, int64).</summary>
    public Tensor Child(Tensor nodes, Tensor tokens)
    {
        using var scope = NewDisposeScope();
        var key = (nodes * VocabularySize + tokens).reshape(-1);
        var pos = searchsorted(_keys, key).clamp_max(_keys.shape[0] - 1);
        var hit = _keys.index_select(0, pos).eq(key);
        var child = where(hit, _values.index_select(0, pos), full_like(pos, DeadNode));
        return child.view_as(nodes).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Allowed.Dispose();
        _keys.Dispose();
        _values.Dispose();
    }
}
