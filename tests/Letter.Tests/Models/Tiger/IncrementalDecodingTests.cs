using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

/// <summary>
/// The decoding path (TIGER's incremental state with its folded weights, stacked cache and fused attention, and the
/// host-side constrained search) against references: the teacher-forced forward with no cache and the masked
/// device-side search of main before it (<see cref="MaskedReferenceSearch"/>).
/// </summary>
public class IncrementalDecodingTests
{
    private const float Tolerance = 1e-5f;

    /// <summary>81 items over 3 levels x 9 codes (some identifiers shared), so beams of 20 have room to differ.</summary>
    private static ItemIndex Index()
    {
        var rng = new Letter.Common.SplitMix64(9);
        var codes = Enumerable.Range(0, 729).OrderBy(_ => rng.NextUInt64()).Take(76).Select(x => new[] { x / 81, (x / 9) % 9, x % 9 }).ToList();
        for (int i = 0; i < 5; i++) codes.Add(codes[i * 7].ToArray());
        return new ItemIndex(codes.ToArray());
    }

    /// <summary>The tiny test shape, and one with the paper's d_kv 64 (where the query scaling is a power of two).</summary>
    public static TheoryData<int> Shapes => new() { 0, 1 };

    private static TigerModel Model(ItemIndex index, int shape, int seed)
    {
        manual_seed(seed);
        var config = shape == 0 ? TinyTiger.Config() with { Dropout = 0 }
            : TinyTiger.Config() with { Dropout = 0, DModel = 64, DKv = 64, Heads = 2, DFf = 128 };
        return new TigerModel(config, TigerVocabulary.For(index).Size);
    }

    private static readonly List<int[]> Histories =
    [
        [1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15], [16, 17, 18], [19, 20, 21], [22, 23, 24],
    ];

    private static List<Beam[]> Fast(GenerativeRecommender r, IReadOnlyList<int[]> histories, IReadOnlyList<NodeLiveness?>? filters = null, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        using var state = r.Generator.Start(histories);
        return ConstrainedBeamSearch.Search(state, r.Catalog.Trie, histories.Count, 20, r.Catalog.Steps, temperature, filters: filters);
    }

    private static List<Beam[]> Reference(GenerativeRecommender r, IReadOnlyList<int[]> histories, IReadOnlyList<NodeLiveness?>? filters = null, double temperature = 1.0)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var state = TeacherForcedState.Start(r.Tiger(), histories);
        return MaskedReferenceSearch.Search(state, r.Catalog.Trie, histories.Count, 20, r.Catalog.Steps, temperature, filters: filters);
    }

    private static void AssertSame(List<Beam[]> expected, List<Beam[]> actual, float tolerance)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int u = 0; u < expected.Count; u++)
        {
            Assert.Equal(expected[u].Select(b => string.Join(',', b.Tokens)), actual[u].Select(b => string.Join(',', b.Tokens)));
            for (int b = 0; b < expected[u].Length; b++)
                Assert.True(Math.Abs(expected[u][b].Score - actual[u][b].Score) <= tolerance,
                    $"user {u} beam {b}: {actual[u][b].Score} against the reference's {expected[u][b].Score}");
        }
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Lone_and_batched_decodings_equal_the_teacher_forced_reference(int shape)
    {
        var index = Index();
        using var model = Model(index, shape, 21);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        AssertSame(Reference(recommender, Histories.Take(1).ToList()), Fast(recommender, Histories.Take(1).ToList()), Tolerance);
        var batched = Fast(recommender, Histories);
        AssertSame(Reference(recommender, Histories), batched, Tolerance);
        Assert.All(batched, beams => Assert.Equal(20, beams.Length));
        // at a decoding temperature too
        AssertSame(Reference(recommender, Histories.Take(3).ToList(), temperature: 0.7), Fast(recommender, Histories.Take(3).ToList(), temperature: 0.7), Tolerance);
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Filtered_decodings_equal_the_reference_with_exclusions_and_candidate_lists(int shape)
    {
        var index = Index();
        using var model = Model(index, shape, 22);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        var unfiltered = Fast(recommender, Histories.Take(4).ToList());
        // exclude each user's own history and its best unfiltered item's whole identifier; user 2 may only get 25 listed items
        var filters = Histories.Take(4).Select((h, u) =>
        {
            var best = recommender.Catalog.ItemsOf(IdentifierCatalog.Key(unfiltered[u][0].Tokens.AsSpan(0, 3)));
            var filter = u == 2 ? new ItemFilter(Only: Enumerable.Range(30, 25).ToHashSet()) : ItemFilter.Excluding(h.Concat(best));
            return (NodeLiveness?)new NodeLiveness(recommender.Catalog, filter);
        }).ToList();
        filters[3] = null; // an unfiltered user beside filtered ones
        var fast = Fast(recommender, Histories.Take(4).ToList(), filters);
        AssertSame(Reference(recommender, Histories.Take(4).ToList(), filters), fast, Tolerance);
        Assert.NotEqual(unfiltered[0][0].Tokens, fast[0][0].Tokens);
        Assert.Equal(unfiltered[3].Select(b => string.Join(',', b.Tokens)), fast[3].Select(b => string.Join(',', b.Tokens)));
    }

    [Fact]
    public void A_candidate_list_shorter_than_the_beam_returns_only_its_identifiers()
    {
        var index = Index();
        using var model = Model(index, 0, 23);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        var only = new[] { 3, 9, 40 };
        var filters = new List<NodeLiveness?> { new(recommender.Catalog, new ItemFilter(Only: only.ToHashSet())) };
        var fast = Fast(recommender, [Histories[0]], filters);
        AssertSame(Reference(recommender, [Histories[0]], filters), fast, Tolerance);
        var keys = only.Select(recommender.Catalog.KeyOfItem).Distinct().ToHashSet();
        Assert.Equal(keys.Count, fast[0].Length);
        Assert.All(fast[0], b => Assert.Contains(IdentifierCatalog.Key(b.Tokens.AsSpan(0, 3)), keys));
    }

    [Theory, MemberData(nameof(Shapes))]
    public void Mixed_length_padded_batches_equal_the_reference(int shape)
    {
        var index = Index();
        using var model = Model(index, shape, 24);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        recommender.Tiger().PadInputs = true;
        List<int[]> mixed = [[1], [2, 3, 4, 5, 6], [7, 8], [9, 10, 11, 12, 13, 14, 15], [16, 17, 18]];
        AssertSame(Reference(recommender, mixed), Fast(recommender, mixed), Tolerance);
    }

    [Fact]
    public void The_host_search_gives_the_masked_searchs_beams_bit_for_bit_on_the_same_logits()
    {
        var index = Index();
        using var model = Model(index, 0, 25);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 20);
        var filters = Histories.Take(3).Select(h => (NodeLiveness?)new NodeLiveness(recommender.Catalog, ItemFilter.Excluding(h))).ToList();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var histories = Histories.Take(3).ToList();
        var targets = tensor(histories.Select(h => recommender.Catalog.TokensOfItem(h[0] + 30)).SelectMany(t => t).Select(t => (long)t).ToArray()).view(3, -1);
        var keptFast = new bool[3][];
        var keptReference = new bool[3][];
        List<Beam[]> fast, reference;
        using (var state = TeacherForcedState.Start(recommender.Tiger(), histories))
            fast = ConstrainedBeamSearch.Search(state, recommender.Catalog.Trie, 3, 20, recommender.Catalog.Steps, targets: targets, targetKept: keptFast, filters: filters);
        using (var state = TeacherForcedState.Start(recommender.Tiger(), histories))
            reference = MaskedReferenceSearch.Search(state, recommender.Catalog.Trie, 3, 20, recommender.Catalog.Steps, targets: targets, targetKept: keptReference, filters: filters);
        AssertSame(reference, fast, 0f);
        for (int u = 0; u < 3; u++) Assert.Equal(keptReference[u], keptFast[u]);
    }
}
