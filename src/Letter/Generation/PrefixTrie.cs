using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Letter.Generation;

/// <summary>
/// A prefix trie of the valid token sequences (identifier tokens + end-of-sequence), stored compactly
/// as CSR arrays: nodes are numbered breadth-first over the sorted distinct prefixes (the root 0, then
/// every prefix of length 1 in lexicographic order, then every prefix of length 2, ...), so the
/// children of node n are the contiguous edges <c>offsets[n] .. offsets[n + 1]</c>, their tokens sorted,
/// and edge e leads to node e + 1. About 8 bytes per node, whatever the vocabulary.
/// The beam search walks the edges out of each beam's node on the host (<see cref="Edges"/>,
/// <see cref="Child(int, long)"/>); the tensor forms (<see cref="AllowedMask"/>, <see cref="Child(Tensor, Tensor)"/>)
/// serve masked searches (the tests' reference). Missing edges lead to a dead node with no children.
/// </summary>
public sealed class PrefixTrie : IDisposable
{
    /// <summary>[nodes + 1]: the children of node n are edges offsets[n] .. offsets[n + 1] (the dead node has none).</summary>
    private readonly int[] _offsets;
    /// <summary>[nodes - 1]: the token of each edge; edge e leads to node e + 1.</summary>
    private readonly int[] _tokens;

    public PrefixTrie(IEnumerable<int[]> sequences, int vocabularySize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        VocabularySize = vocabularySize;

        // All sequences in one flat buffer (no per-sequence objects kept), checked against the vocabulary.
        var flat = new List<int>();
        var starts = new List<int> { 0 };
        foreach (var s in sequences)
        {
            foreach (var t in s)
                if (t < 0 || t >= vocabularySize) throw new ArgumentOutOfRangeException(nameof(sequences), $"token {t} is outside the vocabulary of {vocabularySize}");
            flat.AddRange(s);
            starts.Add(flat.Count);
        }
        var buffer = CollectionsMarshal.AsSpan(flat).ToArray();
        var start = starts.ToArray();
        flat = null; starts = null;
        int count = start.Length - 1;

        // Sorted lexicographically (a prefix before its extensions), then duplicates dropped.
        var order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        int maxLength = 0;
        for (int i = 0; i < count; i++) maxLength = Math.Max(maxLength, start[i + 1] - start[i]);
        if (PackedKeys(buffer, start, maxLength) is { } keys) Array.Sort(keys, order);
        else Array.Sort(order, (a, b) => Sequence(buffer, start, a).SequenceCompareTo(Sequence(buffer, start, b)));
        int distinct = 0;
        for (int i = 0; i < count; i++)
        {
            if (distinct > 0 && Sequence(buffer, start, order[i]).SequenceEqual(Sequence(buffer, start, order[distinct - 1]))) continue;
            order[distinct++] = order[i];
        }
        SequenceCount = distinct;

        // Breadth-first: the nodes of depth d + 1 are the distinct prefixes of length d + 1, met in sorted
        // order, so their parents (of depth d) never decrease and each parent's tokens increase: the
        // edges come out grouped by parent, in node order, and the new node of edge e is e + 1.
        var node = new int[distinct];                  // each sequence's node at the current depth
        var tokens = new List<int>();
        var childCount = new List<int> { 0 };          // per node, grown as nodes are made
        for (int d = 0; d < maxLength; d++)
        {
            int previousParent = -1, previousToken = -1, previousChild = -1;
            for (int i = 0; i < distinct; i++)
            {
                int s = order[i];
                if (start[s + 1] - start[s] <= d) continue;   // ended: never read again
                int parent = node[i], token = buffer[start[s] + d];
                if (parent == previousParent && token == previousToken)
                {
                    node[i] = previousChild;           // the same prefix as the sequence before
                    continue;
                }
                childCount[parent]++;
                tokens.Add(token);
                childCount.Add(0);
                node[i] = previousChild = tokens.Count; // the new node: its edge's index + 1
                previousParent = parent;
                previousToken = token;
            }
        }
        _tokens = tokens.ToArray();
        NodeCount = childCount.Count;
        DeadNode = NodeCount;
        _offsets = new int[NodeCount + 2];
        for (int n = 0; n < NodeCount; n++) _offsets[n + 1] = _offsets[n] + childCount[n];
        _offsets[NodeCount + 1] = _offsets[NodeCount];
    }

    /// <summary>
    /// Each sequence as one number whose order is the sequences' lexicographic order (digit p is token p + 1,
    /// or 0 past the end, so a prefix sorts before its extensions), or null when they do not fit in 64 bits.
    /// </summary>
    private static ulong[]? PackedKeys(int[] buffer, int[] start, int maxLength)
    {
        int maxToken = buffer.Length == 0 ? 0 : buffer.Max();
        ulong radix = (ulong)maxToken + 2;
        if (maxLength * Math.Log2(radix) >= 63) return null;
        var keys = new ulong[start.Length - 1];
        for (int s = 0; s < keys.Length; s++)
        {
            ulong key = 0;
            for (int p = 0, length = start[s + 1] - start[s]; p < maxLength; p++)
                key = key * radix + (p < length ? (ulong)buffer[start[s] + p] + 1 : 0);
            keys[s] = key;
        }
        return keys;
    }

    private static ReadOnlySpan<int> Sequence(int[] buffer, int[] start, int s) => buffer.AsSpan(start[s], start[s + 1] - start[s]);

    public int VocabularySize { get; }
    public int NodeCount { get; }
    public int DeadNode { get; }
    /// <summary>Distinct sequences inserted.</summary>
    public int SequenceCount { get; }

    /// <summary>Bytes of the trie's arrays (the CSR offsets and edge tokens).</summary>
    public long MemoryBytes => (long)_offsets.Length * sizeof(int) + (long)_tokens.Length * sizeof(int);

    /// <summary>
    /// [N, V] bool: row i admits the tokens that extend node <paramref name="nodes"/>[i] ([N] int64);
    /// the dead node (or any number outside the trie) gives an all-false row. Built for these nodes only,
    /// in host memory from the trie's arrays, and returned on the device of <paramref name="nodes"/>.
    /// </summary>
    public Tensor AllowedMask(Tensor nodes)
    {
        if (nodes.dim() != 1) throw new ArgumentException($"nodes must be one-dimensional (got {nodes.dim()} dimensions)", nameof(nodes));
        using var scope = NewDisposeScope();
        var ids = nodes.to_type(ScalarType.Int64).cpu().data<long>().ToArray();
        long cells = (long)ids.Length * VocabularySize;
        if (cells > int.MaxValue) throw new ArgumentException($"a mask of {ids.Length} x {VocabularySize} is more than one tensor span holds; decode fewer beams at once", nameof(nodes));
        var mask = zeros(ids.Length, VocabularySize, dtype: ScalarType.Bool, device: CPU); // filled through its host bytes
        var cell = mask.bytes;
        for (int i = 0; i < ids.Length; i++)
        {
            long n = ids[i];
            if (n < 0 || n >= NodeCount) continue;
            var row = cell.Slice(i * VocabularySize, VocabularySize);
            for (int e = _offsets[n], end = _offsets[n + 1]; e < end; e++) row[_tokens[e]] = 1;
        }
        return mask.to(nodes.device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The edges out of a node, for host-side search: its tokens (ascending) and the number of its first
    /// child (the child of token i is <paramref name="firstChild"/> + i); empty for the dead node or any number outside the trie.
    /// </summary>
    internal ReadOnlySpan<int> Edges(int node, out int firstChild)
    {
        if (node < 0 || node >= NodeCount)
        {
            firstChild = DeadNode;
            return [];
        }
        firstChild = _offsets[node] + 1;
        return _tokens.AsSpan(_offsets[node], _offsets[node + 1] - _offsets[node]);
    }

    /// <summary>The tokens that extend a node, ascending (for checks and tests).</summary>
    public IReadOnlyCollection<int> Continuations(int node) =>
        node >= 0 && node < NodeCount ? new ArraySegment<int>(_tokens, _offsets[node], _offsets[node + 1] - _offsets[node]).AsReadOnly() : Array.Empty<int>();

    /// <summary>The child of a node by a token, or the dead node.</summary>
    public int Child(int node, long token)
    {
        if (node < 0 || node >= NodeCount || token < 0 || token >= VocabularySize) return DeadNode;
        int lo = _offsets[node], hi = _offsets[node + 1];
        int e = Array.BinarySearch(_tokens, lo, hi - lo, (int)token);
        return e >= 0 ? e + 1 : DeadNode;
    }

    /// <summary>The node reached from the root by a token prefix, or the dead node.</summary>
    public int Walk(IEnumerable<int> prefix)
    {
        int node = 0;
        foreach (var t in prefix)
            if ((node = Child(node, t)) == DeadNode) return DeadNode;
        return node;
    }

    /// <summary>Children of nodes by tokens, element-wise (any equal shapes, int64), on the device of <paramref name="nodes"/>.</summary>
    public Tensor Child(Tensor nodes, Tensor tokens)
    {
        if (!nodes.shape.SequenceEqual(tokens.shape)) throw new ArgumentException("nodes and tokens must have one shape");
        using var scope = NewDisposeScope();
        var n = nodes.to_type(ScalarType.Int64).reshape(-1).cpu().data<long>().ToArray();
        var t = tokens.to_type(ScalarType.Int64).reshape(-1).cpu().data<long>().ToArray();
        var child = new long[n.Length];
        for (int i = 0; i < n.Length; i++) child[i] = Child(n[i] is >= 0 and < int.MaxValue ? (int)n[i] : -1, t[i]);
        return tensor(child, nodes.shape, device: nodes.device).MoveToOuterDisposeScope();
    }

    /// <summary>Nothing native to release any more; kept so that owners dispose it as before.</summary>
    public void Dispose() { }
}
