using Letter.Decoding;
using static TorchSharp.torch;

namespace Letter.Tests.Recommender;

public class PrefixTrieTests
{
    private static readonly int[][] Sequences = [[2, 5, 1], [2, 6, 1], [3, 5, 1], [2, 5, 1]];

    [Fact]
    public void Masks_admit_exactly_the_valid_continuations()
    {
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        Assert.Equal(3, trie.SequenceCount);
        var cases = new (int[] Prefix, int[] Allowed)[]
        {
            ([], [2, 3]), ([2], [5, 6]), ([3], [5]), ([2, 5], [1]), ([2, 6], [1]), ([2, 5, 1], []), ([4], []), ([3, 6], []),
        };
        foreach (var (prefix, allowed) in cases)
        {
            int node = trie.Walk(prefix);
            var row = trie.Allowed[node].data<bool>().ToArray();
            var admitted = Enumerable.Range(0, 8).Where(t => row[t]).ToArray();
            Assert.Equal(allowed, admitted);
        }
    }

    [Fact]
    public void Child_follows_edges_for_a_whole_tensor_and_sends_invalid_tokens_to_the_dead_node()
    {
        using var trie = new PrefixTrie(Sequences, vocabularySize: 8);
        int root = 0, n2 = trie.Walk([2]), n25 = trie.Walk([2, 5]);
        using var nodes = tensor(new long[] { root, root, n2, n2, trie.DeadNode }, [5]);
        using var tokens = tensor(new long[] { 2, 4, 5, 1, 2 }, [5]);
        using var child = trie.Child(nodes, tokens);
        Assert.Equal(new long[] { n2, trie.DeadNode, n25, trie.DeadNode, trie.DeadNode }, child.data<long>().ToArray());
    }
}
