using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using static TorchSharp.torch;

namespace Letter.Tests.Generation;

/// <summary>
/// Beam search over the compact trie against the dense trie it replaced (<see cref="DenseBeamSearch"/>),
/// on real indexes and real histories with a seeded, untrained TIGER of the default shape: the same
/// beams and the same scores (within 4 units in the last place: the search selects on the host, the reference on the device).
/// </summary>
public class CompactTrieBeamSearchTests
{
    [SharedDataFact("data/instruments/Instruments.index.json")]
    public void Beams_on_Instruments_equal_the_dense_tries() => SameBeams("instruments", "Instruments", users: 96);

    [SharedDataFact("data/yelp/Yelp.index.json")]
    public void Beams_on_Yelp_equal_the_dense_tries() => SameBeams("yelp", "Yelp", users: 64);

    private static void SameBeams(string folder, string name, int users)
    {
        set_num_threads(2);
        var index = ItemIndexReader.Read(SharedData.Path("data", folder, $"{name}.index.json"));
        var sequences = InteractionsReader.Read(SharedData.Path("data", folder, $"{name}.inter.json"));
        var config = new TigerConfig { Dropout = 0, Threads = 2 };
        manual_seed(28);
        var model = new TigerModel(config, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        var vocabulary = recommender.Tiger().Vocabulary;

        // what TigerRecommender inserts: one sequence per distinct identifier
        var identifiers = Enumerable.Range(0, index.ItemCount).GroupBy(recommender.Catalog.KeyOfItem).Select(g => vocabulary.EncodeTarget(index, g.First()));
        using var dense = new DenseTrie(identifiers, vocabulary.Size);
        Assert.Equal(dense.NodeCount, recommender.Catalog.Trie.NodeCount);
        Assert.Equal(dense.SequenceCount, recommender.Catalog.Trie.SequenceCount);

        // test histories (all but the last item, at most 20) of the first users, several lengths
        var histories = sequences.Take(users).Select(s => s.Items[..^1][^Math.Min(20, s.Items.Length - 1)..]).ToList();
        Assert.True(histories.Select(h => h.Length).Distinct().Count() > 1);
        const int batchUsers = 32;
        var compact = recommender.Decode(histories, batchUsers: batchUsers);

        var encoded = histories.Select(h => vocabulary.EncodeHistory(index, h)).ToList();
        var reference = new Beam[histories.Count][];
        foreach (var batch in LengthGroups.Sequential(encoded.Select(e => e.Length).ToList(), batchUsers))
        {
            using var scope = NewDisposeScope();
            using var state = new TigerGenerationState(model, TigerBatch.Stack(encoded, batch));
            var beams = DenseBeamSearch.Search(state, dense, batch.Length, 20, vocabulary.Levels + 1);
            for (int i = 0; i < batch.Length; i++) reference[batch[i]] = beams[i];
        }
        for (int u = 0; u < histories.Count; u++)
        {
            Assert.Equal(20, compact[u].Length);
            Assert.Equal(reference[u].Length, compact[u].Length);
            for (int b = 0; b < compact[u].Length; b++)
            {
                Assert.Equal(reference[u][b].Tokens, compact[u][b].Tokens);
                // within 4 units in the last place: the host-side search and the device-side reference on the same
                // logits differ by up to 2 (seen on both datasets; cause not isolated)
                int ulps = Math.Abs(BitConverter.SingleToInt32Bits(reference[u][b].Score) - BitConverter.SingleToInt32Bits(compact[u][b].Score));
                Assert.True(ulps <= 4, $"user {u} beam {b}: {compact[u][b].Score} against the dense search's {reference[u][b].Score} ({ulps} units in the last place)");
            }
        }
    }
}
