using Letter.Data;
using Letter.Generation;
using Letter.Evaluation;
using Letter.Models.Tiger;
using static TorchSharp.torch;

namespace Letter.Tests.Models.Tiger;

public class ConstrainedBeamSearchTests
{
    private static ItemIndex SmallIndex()
    {
        var rng = new Letter.Common.SplitMix64(3);
        var codes = Enumerable.Range(0, 27).OrderBy(_ => rng.NextUInt64()).Take(18).Select(x => new[] { x / 9, (x / 3) % 3, x % 3 }).ToList();
        codes.Add(codes[0].ToArray()); // a collision: items 0 and 18 share an identifier
        codes.Add(codes[5].ToArray());
        return new ItemIndex(codes.ToArray());
    }

    [Fact]
    public void Every_decoded_identifier_is_valid_the_beams_are_distinct_and_scores_match_a_full_decode()
    {
        set_num_threads(2);
        var index = SmallIndex();
        var config = TinyTiger.Config() with { Dropout = 0 };
        manual_seed(11);
        var model = new TigerModel(config, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 6);
        var valid = Enumerable.Range(0, index.ItemCount).Select(recommender.Catalog.KeyOfItem).ToHashSet();
        var histories = new List<int[]> { new[] { 1, 2, 3 }, new[] { 4 }, new[] { 5, 6, 7 }, new[] { 8, 9 }, new[] { 10 }, new[] { 11, 12, 13 } };
        var beams = recommender.Decode(histories, batchUsers: 2);
        Assert.Equal(histories.Count, beams.Count);
        for (int u = 0; u < histories.Count; u++)
        {
            Assert.Equal(6, beams[u].Length);
            var keys = beams[u].Select(b => string.Join(',', b.Tokens[..3])).ToList();
            Assert.All(keys, k => Assert.Contains(k, valid));
            Assert.All(beams[u], b => Assert.Equal(TigerVocabulary.Eos, b.Tokens[^1]));
            Assert.Equal(keys.Count, keys.Distinct().Count());
            for (int b = 1; b < beams[u].Length; b++) Assert.True(beams[u][b - 1].Score >= beams[u][b].Score);

            // the incremental (cached) decoder gives the same log-probability as a teacher-forced full decode
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var ids = tensor(recommender.Tiger().Vocabulary.EncodeHistory(index, histories[u]).Select(t => (long)t).ToArray()).unsqueeze(0);
            foreach (var beam in beams[u].Take(3))
            {
                var target = tensor(beam.Tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
                var logp = nn.functional.log_softmax(model.Logits(ids, target), -1).gather(2, target.unsqueeze(-1)).sum().item<float>();
                Assert.Equal(logp, beam.Score, 3);
            }
        }
    }

    [Fact]
    public void At_a_decoding_temperature_every_beam_scores_its_tokens_log_softmax_of_logits_over_it()
    {
        var index = SmallIndex();
        manual_seed(15);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 30);
        recommender.DecodeTemperature = 0.5;
        var history = new[] { 2, 7, 11 };
        var beams = recommender.Decode([history])[0];
        Assert.Equal(18, beams.Length); // every identifier, so the order is the full ranking under T
        for (int b = 1; b < beams.Length; b++) Assert.True(beams[b - 1].Score >= beams[b].Score);

        // independent reference: teacher-forced logits of each identifier, divided by T, log-softmax over the whole vocabulary
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(recommender.Tiger().Vocabulary.EncodeHistory(index, history).Select(t => (long)t).ToArray()).unsqueeze(0);
        foreach (var beam in beams)
        {
            var target = tensor(beam.Tokens.Select(t => (long)t).ToArray()).unsqueeze(0);
            var logits = model.Logits(ids, target);
            float Score(double t) => nn.functional.log_softmax(logits / t, -1).gather(2, target.unsqueeze(-1)).sum().item<float>();
            Assert.Equal(Score(0.5), beam.Score, 3);
            Assert.True(Math.Abs(Score(1.0) - beam.Score) > 1e-3, "the temperature must change the score");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => recommender.DecodeTemperature = 0);
    }

    [Fact]
    public void The_targets_survival_flags_agree_with_searches_stopped_at_each_step()
    {
        var index = SmallIndex();
        manual_seed(16);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 3);
        var v = recommender.Tiger().Vocabulary;
        int steps = v.Levels + 1;
        var histories = new List<int[]> { new[] { 1, 2, 3 }, new[] { 4 }, new[] { 5, 6, 7 }, new[] { 8, 9 }, new[] { 10 }, new[] { 11, 12, 13 } };
        // targets: for half the users their top identifier (kept to the end), for the others their
        // last-ranked one (it must leave a beam of 3 out of 18 somewhere)
        using var wide = TigerRecommender.Create(model, index, new int[index.ItemCount], 30);
        var ranking = wide.Decode(histories);
        var targets = histories.Select((_, u) =>
        {
            var key = IdentifierCatalog.Key(ranking[u][u % 2 == 0 ? 0 : ^1].Tokens.AsSpan(0, v.Levels));
            return recommender.Catalog.ItemsOf(key)[0];
        }).ToList();

        var kept = new bool[histories.Count][];
        var beams = recommender.Decode(histories, batchUsers: 4, targets: targets, targetKept: kept);
        for (int u = 0; u < histories.Count; u++)
        {
            Assert.Equal(steps, kept[u].Length);
            var target = v.EncodeTarget(index, targets[u]);
            // reference: the beams of a search that stops after k steps are the beams after step k
            for (int k = 1; k <= steps; k++)
            {
                using var scope = NewDisposeScope();
                using var state = recommender.Generator.Start([histories[u]]);
                var partial = ConstrainedBeamSearch.Search(state, recommender.Catalog.Trie, 1, 3, k)[0];
                Assert.Equal(partial.Any(b => b.Tokens.SequenceEqual(target[..k])), kept[u][k - 1]);
            }
            Assert.Equal(beams[u].Any(b => b.Tokens.SequenceEqual(target)), kept[u][^1]);
            Assert.Equal(u % 2 == 0, kept[u][^1]);
        }

        var survival = new BeamSurvival(v.Levels);
        for (int u = 0; u < histories.Count; u++) survival.Add(kept[u], targetInHistory: false);
        Assert.Equal(0.5, survival.All[^1], 12); // exactly the top-identifier half
    }

    [Fact]
    public void Padded_histories_of_mixed_lengths_decode_as_each_does_alone_and_filters_work_from_the_first_step()
    {
        var index = SmallIndex();
        manual_seed(13);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 6);
        var histories = new List<int[]> { new[] { 1, 2, 3 }, new[] { 4 }, new[] { 5, 6 }, new[] { 7, 8, 9 } };
        var alone = histories.Select(h => recommender.Decode([h])[0]).ToList();
        recommender.Tiger().PadInputs = true;
        var together = recommender.Decode(histories);
        for (int u = 0; u < histories.Count; u++)
        {
            Assert.Equal(alone[u].Select(b => string.Join(',', b.Tokens)), together[u].Select(b => string.Join(',', b.Tokens)));
            for (int b = 0; b < alone[u].Length; b++) Assert.Equal(alone[u][b].Score, together[u][b].Score, 1e-4);
        }
        // an exclusion is a mask from step 0 on: k items still come back, none of them refused
        var seen = recommender.Recommend([1, 2, 3], 5, new RecommendOptions(ExcludeHistory: true, Exclude: [4]));
        var items = seen.SelectMany(r => r.Items).ToList();
        Assert.True(items.Count >= 5);
        Assert.Empty(items.Intersect([1, 2, 3, 4]));
    }

    [Fact]
    public void A_beam_wider_than_the_catalogue_returns_every_identifier_once()
    {
        var index = SmallIndex();
        manual_seed(12);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 30);
        var beams = recommender.Decode([[1, 2]])[0];
        Assert.Equal(18, beams.Length); // 20 items, 18 distinct identifiers
        Assert.Equal(18, beams.Select(b => string.Join(',', b.Tokens)).Distinct().Count());
        Assert.True(recommender.Catalog.HasCollisions);
    }

    [Fact]
    public void Recommend_expands_identifiers_to_their_items_most_popular_first()
    {
        var index = SmallIndex();
        manual_seed(13);
        var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
        var popularity = new int[index.ItemCount];
        popularity[18] = 5; // item 18 shares item 0's identifier and is more popular
        using var recommender = TigerRecommender.Create(model, index, popularity, 30);
        var recs = recommender.Recommend([3, 4], 30);
        Assert.Equal(18, recs.Count);
        var shared = recs.Single(r => r.Items.Contains(0));
        Assert.Equal(new[] { 18, 0 }, shared.Items);
        Assert.Equal(index.Tokens(0), shared.Identifier);
        Assert.Equal(20, recs.Sum(r => r.Items.Length));
    }

    [Fact]
    public void Bf16_decoding_returns_every_identifier_once_with_scores_close_to_fp32()
    {
        var index = SmallIndex();
        var histories = new List<int[]> { new[] { 1, 2, 3 }, new[] { 4, 5, 6 }, new[] { 7 } };
        Dictionary<string, float>[] Decode(bool bf16)
        {
            manual_seed(14);
            var model = new TigerModel(TinyTiger.Config() with { Dropout = 0 }, TigerVocabulary.For(index).Size);
            using var recommender = TigerRecommender.Create(model, index, new int[index.ItemCount], 30);
            if (bf16) recommender.Tiger().UseBf16();
            Assert.Equal(bf16 ? Precision.Bf16 : Precision.Fp32, recommender.Precision);
            return recommender.Decode(histories, batchUsers: 3)
                .Select(beams => beams.ToDictionary(b => string.Join(',', b.Tokens), b => b.Score)).ToArray();
        }
        var full = Decode(false);
        var half = Decode(true);
        for (int u = 0; u < histories.Count; u++)
        {
            Assert.Equal(18, half[u].Count);
            Assert.Equal(full[u].Keys.Order(), half[u].Keys.Order());
            foreach (var (key, score) in full[u]) Assert.InRange(half[u][key] - score, -0.1f, 0.1f);
        }
    }
}
