using TorchSharp;
using Letter.Generation;
using Letter.Models.Tiger;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Letter.Tests.Generation;

/// <summary>
/// The dense prefix trie the library held before issue 28 (a [nodes + 1, V] bool tensor of every
/// node's mask, per-node dictionaries), kept here verbatim as the reference the compact
/// <see cref="PrefixTrie"/> must agree with. Its node numbers are insertion order, not the compact
/// trie's: compare through token prefixes (<see cref="Walk"/>).
/// </summary>
internal sealed class DenseTrie : IDisposable
{
    private readonly List<Dictionary<int, int>> _children;
    private readonly Tensor _keys;
    private readonly Tensor _values;

    public DenseTrie(IEnumerable<int[]> sequences, int vocabularySize)
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
    public int SequenceCount { get; }

    /// <summary>[nodes + 1, V] bool; the last row (the dead node) is all false.</summary>
    public Tensor Allowed { get; }

    public IReadOnlyCollection<int> Continuations(int node) =>
        node >= 0 && node < _children.Count ? _children[node].Keys : Array.Empty<int>();

    public int Walk(IEnumerable<int> prefix)
    {
        int node = 0;
        foreach (var t in prefix)
            if (node == DeadNode || !_children[node].TryGetValue(t, out node)) return DeadNode;
        return node;
    }

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

/// <summary>
/// ConstrainedBeamSearch.Search as it was at commit 9a402c9 (before issue 28), masking through
/// <see cref="DenseTrie.Allowed"/>: the reference the library's search over the compact trie must
/// match beam for beam and score for score, now on the logits of the library's own generation state.
/// </summary>
internal static class DenseBeamSearch
{
    /// <param name="state">the library's generation state of the batch: both searches see the same logits</param>
    public static List<Beam[]> Search(IGenerationState state, DenseTrie trie, int users, int beam, int steps, double temperature = 1.0)
    {
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        int v = trie.VocabularySize;
        int keep = Math.Min(beam, trie.SequenceCount);
        using var temperatureScalar = temperature.ToScalar();
        using var vocabularyScalar = v.ToScalar();

        int width = 1;
        var scores = zeros(users, 1);
        var node = zeros(users, 1, dtype: ScalarType.Int64);
        Tensor? current = null;
        var sequences = zeros(users, 1, 0, dtype: ScalarType.Int64);

        for (int t = 0; t < steps; t++)
        {
            using var step = NewDisposeScope();
            var logits = state.NextLogits(current).view(users, width, v).to_type(ScalarType.Float32);
            if (temperature != 1.0) logits = logits.div(temperatureScalar);
            var logp = F.log_softmax(logits, -1);
            var allowed = trie.Allowed.index_select(0, node.reshape(-1)).view(users, width, v);
            logp = logp.masked_fill(allowed.logical_not(), Letter.Common.TorchScalars.NegativeInfinity);
            int next = (int)Math.Min(beam, (long)width * v);
            var (top, index) = (scores.unsqueeze(-1) + logp).view(users, (long)width * v).topk(next, dim: -1);
            var source = index.div(vocabularyScalar, RoundingMode.floor);
            var token = index.remainder(vocabularyScalar);
            var flat = (tensor(Enumerable.Range(0, users).Select(u => (long)u * width).ToArray()).unsqueeze(1) + source).reshape(-1);
            state.Reorder(flat);
            node = trie.Child(node.gather(1, source), token).MoveToOuterDisposeScope();
            sequences = cat([sequences.gather(1, source.unsqueeze(-1).expand(users, next, t)), token.unsqueeze(-1)], 2).MoveToOuterDisposeScope();
            scores = top.MoveToOuterDisposeScope();
            current = token.reshape(-1).MoveToOuterDisposeScope();
            width = next;
        }
        keep = Math.Min(keep, width);
        var seq = sequences.data<long>().ToArray();
        var sc = scores.data<float>().ToArray();
        var result = new List<Beam[]>(users);
        for (int u = 0; u < users; u++)
        {
            var beams = new Beam[keep];
            for (int b = 0; b < keep; b++)
            {
                var tokens = new int[steps];
                for (int s = 0; s < steps; s++) tokens[s] = (int)seq[((long)u * width + b) * steps + s];
                beams[b] = new Beam(tokens, sc[u * width + b]);
            }
            result.Add(beams);
        }
        return result;
    }
}
