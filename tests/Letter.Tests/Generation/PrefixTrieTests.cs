using Letter.Generation;
using static TorchSharp.torch;

namespace Letter.Tests.Generation;

public class PrefixTrieTests
{
    private static readonly int[][] Sequences = [[2, 5, 1], [2, 6, 1], [3, 5, 1], [2, 5, 1]];

    private static int[] Admitted(PrefixTrie trie, int node)
    {
        using var scope = NewDisposeScope();
        var row = trie.AllowedMask(tensor(new long[] { node })).data<bool>().ToArray();
        return Enumerable.Range(0, trie.VocabularySize).Where(t => row[t]).ToArray();
    }

    [Fact]
    public void Masks_admit_exactly_the_valid_continuations()
    {
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        Assert.Equal(3, trie.SequenceCount);
        Assert.Equal(9, trie.NodeCount); // root; 2, 3; 25, 26, 35; 251, 261, 351
        Assert.Equal(trie.NodeCount, trie.DeadNode);
        var cases = new (int[] Prefix, int[] Allowed)[]
        {
            ([], [2, 3]), ([2], [5, 6]), ([3], [5]), ([2, 5], [1]), ([2, 6], [1]), ([2, 5, 1], []), ([4], []), ([3, 6], []), ([2, 5, 1, 1], []),
        };
        foreach (var (prefix, allowed) in cases)
        {
            int node = trie.Walk(prefix);
            Assert.Equal(allowed, Admitted(trie, node));
            Assert.Equal(allowed, trie.Continuations(node).ToArray());
        }
    }

    [Fact]
    public void Child_follows_edges_for_a_whole_tensor_and_sends_invalid_tokens_to_the_dead_node()
    {
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        int root = 0, n2 = trie.Walk([2]), n25 = trie.Walk([2, 5]);
        using var nodes = tensor(new long[] { root, root, n2, n2, trie.DeadNode, root }, [2, 3]);
        using var tokens = tensor(new long[] { 2, 4, 5, 1, 2, 9 }, [2, 3]);
        using var child = trie.Child(nodes, tokens);
        Assert.Equal(new long[] { 2, 3 }, child.shape);
        Assert.Equal(new long[] { n2, trie.DeadNode, n25, trie.DeadNode, trie.DeadNode, trie.DeadNode }, child.data<long>().ToArray());
    }

    [Fact]
    public void The_dead_node_admits_nothing_and_leads_nowhere()
    {
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        using var mask = trie.AllowedMask(tensor(new long[] { trie.DeadNode, 0, trie.DeadNode }));
        Assert.Equal(new long[] { 3, 8 }, mask.shape);
        var cells = mask.data<bool>().ToArray();
        Assert.All(cells.Take(8).Concat(cells.Skip(16)), c => Assert.False(c));
        Assert.Equal([2, 3], Enumerable.Range(0, 8).Where(t => cells[8 + t]).ToArray());
        Assert.Empty(trie.Continuations(trie.DeadNode));
        Assert.Equal(trie.DeadNode, trie.Walk([2, 5, 1, 3]));
        for (int t = 0; t < 8; t++) Assert.Equal(trie.DeadNode, trie.Child(trie.DeadNode, t));
    }

    [Fact]
    public void Duplicates_count_once_and_a_sequence_may_be_the_prefix_of_another()
    {
        using var trie = new PrefixTrie([[1, 2], [1, 2, 3], [1, 2], [1], [1, 2, 3]], vocabularySize: 4);
        Assert.Equal(3, trie.SequenceCount);
        Assert.Equal(4, trie.NodeCount);
        Assert.Equal([2], Admitted(trie, trie.Walk([1])));
        Assert.Equal([3], Admitted(trie, trie.Walk([1, 2])));
        Assert.Empty(Admitted(trie, trie.Walk([1, 2, 3])));
    }

    [Fact]
    public void An_empty_trie_has_only_its_root()
    {
        using var trie = new PrefixTrie([], vocabularySize: 5);
        Assert.Equal(0, trie.SequenceCount);
        Assert.Equal(1, trie.NodeCount);
        Assert.Empty(Admitted(trie, 0));
        using var none = trie.AllowedMask(zeros(0, dtype: ScalarType.Int64));
        Assert.Equal(new long[] { 0, 5 }, none.shape);
    }

    [Fact]
    public void A_token_outside_the_vocabulary_is_refused_with_its_value()
    {
        var high = Assert.Throws<ArgumentOutOfRangeException>(() => new PrefixTrie([[1, 2], [1, 8]], vocabularySize: 8));
        Assert.Contains("token 8 is outside the vocabulary of 8", high.Message);
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new PrefixTrie([[-1]], vocabularySize: 8));
        Assert.Contains("token -1", negative.Message);
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        Assert.Throws<ArgumentException>(() => trie.AllowedMask(zeros(2, 2, dtype: ScalarType.Int64)));
    }

    private static List<int[]> RandomSequences(Letter.Common.SplitMix64 rng, int v)
    {
        // identifiers of 3 levels + end-of-sequence from a few codes (many shared prefixes), duplicates,
        // and some sequences of other lengths, prefixes of others among them
        var sequences = new List<int[]>();
        for (int i = 0; i < 600; i++) sequences.Add([2 + rng.Next(4), 6 + rng.Next(5), 11 + rng.Next(12), 1]);
        for (int i = 0; i < 40; i++) sequences.Add(sequences[rng.Next(sequences.Count)].ToArray());
        for (int i = 0; i < 30; i++) sequences.Add(Enumerable.Range(0, 1 + rng.Next(6)).Select(_ => rng.Next(v)).ToArray());
        for (int i = 0; i < 10; i++) sequences.Add(sequences[rng.Next(sequences.Count)][..^1]);
        return sequences.OrderBy(_ => rng.NextUInt64()).ToList();
    }

    [Fact]
    public void Tokens_too_wide_to_pack_in_one_key_build_the_same_trie()
    {
        // 6 tokens below 39,100 need more than 64 bits as one number: the construction sorts by comparison instead
        const int v = 23, spread = 1700;
        var small = RandomSequences(new Letter.Common.SplitMix64(29), v);
        using var packed = new PrefixTrie(small, v);
        using var compared = new PrefixTrie(small.Select(s => s.Select(t => t * spread).ToArray()), v * spread);
        Assert.Equal(packed.SequenceCount, compared.SequenceCount);
        Assert.Equal(packed.NodeCount, compared.NodeCount);
        for (int n = 0; n <= packed.NodeCount; n++)
        {
            Assert.Equal(packed.Continuations(n).Select(t => t * spread), compared.Continuations(n));
            foreach (var t in packed.Continuations(n)) Assert.Equal(packed.Child(n, t), compared.Child(n, t * spread));
        }
    }

    [Fact]
    public void The_compact_trie_admits_exactly_what_the_dense_one_did_on_a_random_index()
    {
        var rng = new Letter.Common.SplitMix64(28);
        const int v = 23;
        var sequences = RandomSequences(rng, v);

        using var dense = new DenseTrie(sequences, v);
        using var trie = new PrefixTrie(sequences, v);
        Assert.Equal(dense.SequenceCount, trie.SequenceCount);
        Assert.Equal(dense.NodeCount, trie.NodeCount);

        // every dense node, reached by its prefix: the same mask and the same children
        var denseNodes = new List<long>();
        var compactNodes = new List<long>();
        var pending = new Queue<(int Dense, int Compact)>([(0, 0)]);
        while (pending.Count > 0)
        {
            var (d, c) = pending.Dequeue();
            denseNodes.Add(d);
            compactNodes.Add(c);
            Assert.Equal(dense.Continuations(d).Order(), trie.Continuations(c));
            for (int t = 0; t < v; t++)
            {
                using var scope = NewDisposeScope();
                int dc = (int)dense.Child(tensor(new long[] { d }), tensor(new long[] { t })).item<long>();
                int cc = trie.Child(c, t);
                Assert.Equal(dc == dense.DeadNode, cc == trie.DeadNode);
                if (dc != dense.DeadNode) pending.Enqueue((dc, cc));
            }
        }
        Assert.Equal(trie.NodeCount, compactNodes.Distinct().Count());
        denseNodes.Add(dense.DeadNode);
        compactNodes.Add(trie.DeadNode);

        // all masks in one call, in a shuffled order with repeats, against the dense rows
        var pick = Enumerable.Range(0, denseNodes.Count * 2).Select(i => i % denseNodes.Count).OrderBy(_ => rng.NextUInt64()).ToArray();
        using var denseRows = dense.Allowed.index_select(0, tensor(pick.Select(i => denseNodes[i]).ToArray()));
        using var compactRows = trie.AllowedMask(tensor(pick.Select(i => compactNodes[i]).ToArray()));
        Assert.Equal(denseRows.data<bool>().ToArray(), compactRows.data<bool>().ToArray());

        // every (node, token) child as a tensor, mapped back to dense numbers
        var toDense = new Dictionary<long, long>();
        for (int i = 0; i < compactNodes.Count; i++) toDense[compactNodes[i]] = denseNodes[i];
        var nodes = compactNodes.SelectMany(n => Enumerable.Repeat(n, v)).ToArray();
        var tokens = compactNodes.SelectMany(_ => Enumerable.Range(0, v).Select(t => (long)t)).ToArray();
        using var compactChild = trie.Child(tensor(nodes), tensor(tokens));
        using var denseChild = dense.Child(tensor(nodes.Select(n => toDense[n]).ToArray()), tensor(tokens));
        Assert.Equal(denseChild.data<long>().ToArray(), compactChild.data<long>().ToArray().Select(n => toDense[n]).ToArray());
    }

    [Fact]
    public void A_million_identifiers_of_4_x_256_build_a_trie_of_8_bytes_per_node()
    {
        // the size the dense [nodes, V] mask could not hold (about 3M nodes x 1,026 tokens > 2^31)
        var rng = new Letter.Common.SplitMix64(1);
        var codes = new HashSet<uint>();
        while (codes.Count < 1_000_000) codes.Add((uint)rng.NextUInt64());
        var sequences = codes.Select(x => new[] { 2 + (int)(x >> 24), 258 + (int)((x >> 16) & 255), 514 + (int)((x >> 8) & 255), 770 + (int)(x & 255), 1 }).ToList();
        using var trie = new PrefixTrie(sequences, vocabularySize: 1026);
        Assert.Equal(1_000_000, trie.SequenceCount);
        Assert.True(trie.NodeCount > 3_000_000);
        Assert.True(trie.MemoryBytes <= 8L * (trie.NodeCount + 1));
        Assert.Equal(256, trie.Continuations(0).Count);
        var probe = sequences[123_456];
        var nodes = Enumerable.Range(0, probe.Length + 1).Select(k => (long)trie.Walk(probe[..k])).ToArray();
        Assert.Equal(trie.DeadNode, trie.Child((int)nodes[^1], 1));
        using var mask = trie.AllowedMask(tensor(nodes));
        var rows = mask.data<bool>().ToArray();
        for (int k = 0; k < probe.Length; k++) Assert.True(rows[k * 1026 + probe[k]]);
        Assert.DoesNotContain(true, rows.Skip(probe.Length * 1026));
        for (int k = 1; k <= probe.Length; k++) Assert.NotEqual(trie.DeadNode, (int)nodes[k]);
    }
}
