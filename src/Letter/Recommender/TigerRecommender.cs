using TorchSharp;
using Letter.Data;
using Letter.Decoding;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Recommender;

/// <summary>One recommended identifier: the items that share it (most popular in training first), its tokens, its log-probability.</summary>
public sealed record Recommendation(int[] Items, string[] Identifier, float Score);

/// <summary>
/// A trained TIGER model ready to decode: the trie of valid identifiers, the identifier-to-items map
/// (items of one identifier ordered by training popularity, then id) and batched constrained beam search.
/// </summary>
public sealed class TigerRecommender : IDisposable
{
    private readonly Dictionary<string, int[]> _itemsByIdentifier = new();
    private readonly string[] _identifierOfItem;
    private double _decodeTemperature = 1.0;

    public TigerRecommender(TigerModel model, ItemIndex index, int[] popularity)
    {
        Model = model;
        Index = index;
        Popularity = popularity;
        Vocabulary = TigerVocabulary.For(index, model.Config.TextTokens);
        if (Vocabulary.Size != model.VocabularySize)
            throw new ArgumentException($"the model has {model.VocabularySize} tokens, the index needs {Vocabulary.Size}");
        model.eval();
        _identifierOfItem = new string[index.ItemCount];
        var groups = new Dictionary<string, List<int>>();
        for (int i = 0; i < index.ItemCount; i++)
        {
            var key = Key(Vocabulary.Identifier(index.Codes[i]));
            _identifierOfItem[i] = key;
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = [];
            g.Add(i);
        }
        foreach (var (key, items) in groups)
            _itemsByIdentifier[key] = items.OrderByDescending(i => i < popularity.Length ? popularity[i] : 0).ThenBy(i => i).ToArray();
        HasCollisions = groups.Count < index.ItemCount;
        Trie = new PrefixTrie(groups.Values.Select(g => Vocabulary.EncodeTarget(index, g[0])), Vocabulary.Size);
    }

    public TigerModel Model { get; }
    public ItemIndex Index { get; }
    /// <summary>Training occurrences per item: the order of the items that share an identifier.</summary>
    public int[] Popularity { get; }
    public TigerVocabulary Vocabulary { get; }
    public PrefixTrie Trie { get; }
    public bool HasCollisions { get; }
    public int Beam { get; set; } = 20;

    /// <summary>
    /// Beam scores are log-softmax of logits / this (1, the default: raw logits, as the original's
    /// Hugging Face decoding; the run's tau: the distribution its ranking-guided loss trained).
    /// </summary>
    public double DecodeTemperature
    {
        get => _decodeTemperature;
        set => _decodeTemperature = ConstrainedBeamSearch.CheckTemperature(value);
    }

    /// <summary>True once <see cref="UseBf16"/> has converted the model's weights to bfloat16.</summary>
    public bool Bf16 { get; private set; }

    /// <summary>"bf16" or "fp32", as recorded in metrics and benchmarks.</summary>
    public string Precision => Bf16 ? "bf16" : "fp32";

    /// <summary>
    /// Decodes in bfloat16 from now on: the weights are converted (irreversibly, so only for a
    /// model that is not trained further); softmax, log-probabilities and beam scores stay fp32.
    /// </summary>
    public void UseBf16()
    {
        if (Bf16) return;
        Model.to(TorchSharp.torch.ScalarType.BFloat16);
        Bf16 = true;
    }

    /// <summary>Loads the best (or last) checkpoint of a run; popularity from the run's training users in its dataset (read again unless given).</summary>
    public static TigerRecommender Load(string runDirectory, LetterDataset? dataset = null, string checkpoint = "best")
    {
        var run = new TigerRunFolder(runDirectory);
        var info = run.ReadInfo();
        var index = run.ReadIndex();
        dataset ??= LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
        var model = new TigerModel(info.Config, info.VocabularySize);
        var file = checkpoint == "last" ? run.LastCheckpoint : run.BestCheckpoint;
        if (!File.Exists(file) && checkpoint == "best" && File.Exists(run.LastCheckpoint)) file = run.LastCheckpoint;
        TigerCheckpoint.Load(file, model);
        // the users the run trained on (a --max-users run trained on a sample), so shared identifiers
        // list their items in the order of the popularity that training and validation saw
        var popularity = LeaveOneOutSplit.TrainingPopularity(info.TrainingUsers(dataset), dataset.ItemCount);
        return new TigerRecommender(model, index, popularity) { Beam = info.Config.Beam };
    }

    /// <summary>The key of an identifier's tokens (codes only, no end-of-sequence).</summary>
    internal static string Key(ReadOnlySpan<int> tokens) => string.Join(',', tokens.ToArray());

    public string IdentifierKeyOfItem(int item) => _identifierOfItem[item];

    public int[] ItemsOf(string identifierKey) => _itemsByIdentifier.TryGetValue(identifierKey, out var items) ? items : [];

    /// <summary>The best identifiers for one history (oldest item first), at most <paramref name="k"/>.</summary>
    public IReadOnlyList<Recommendation> Recommend(int[] history, int k)
    {
        if (history.Length == 0) throw new ArgumentException("the history is empty");
        foreach (var item in history)
            if (item < 0 || item >= Index.ItemCount) throw new ArgumentOutOfRangeException(nameof(history), $"item {item} is not in the index ({Index.ItemCount} items)");
        var h = history.Length > Model.Config.MaxHistory ? history[^Model.Config.MaxHistory..] : history;
        var beams = Decode([h], Math.Max(k, 1))[0];
        return beams.Take(k).Select(b =>
        {
            var codes = b.Tokens.AsSpan(0, Vocabulary.Levels);
            var key = Key(codes);
            var ident = codes.ToArray().Select(t => { var (l, c) = Vocabulary.Decode(t); return Index.Token(l, c); }).ToArray();
            return new Recommendation(ItemsOf(key), ident, b.Score);
        }).ToList();
    }

    /// <summary>Decodes many histories (grouped by length, <paramref name="batchUsers"/> users at a time), in input order.</summary>
    /// <param name="targets">each history's target item, to follow through the search, or null</param>
    /// <param name="targetKept">with <paramref name="targets"/>: filled per history with whether the target's
    /// first k tokens were still among the beams after step k (k = 1 .. levels + 1)</param>
    public List<Beam[]> Decode(IReadOnlyList<int[]> histories, int? beam = null, int batchUsers = 64, Action<int>? progress = null, CancellationToken cancel = default,
        IReadOnlyList<int>? targets = null, bool[][]? targetKept = null)
    {
        if ((targets is null) != (targetKept is null) || (targets is not null && (targets.Count != histories.Count || targetKept!.Length != histories.Count)))
            throw new ArgumentException("targets and targetKept go together, one per history");
        var encoded = histories.Select(h => Vocabulary.EncodeHistory(Index, h)).ToList();
        var result = new Beam[histories.Count][];
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            DecodeBatches(encoded, result, beam ?? Beam, batchUsers, progress, cancel, targets, targetKept);
        }
        finally
        {
            if (wasTraining) Model.train();
        }
        return result.ToList();
    }

    private void DecodeBatches(List<int[]> encoded, Beam[][] result, int beam, int batchUsers, Action<int>? progress, CancellationToken cancel,
        IReadOnlyList<int>? targets, bool[][]? targetKept)
    {
        int steps = Vocabulary.Levels + 1;
        foreach (var batch in LengthBatcher.Sequential(encoded.Select(e => e.Length).ToList(), batchUsers))
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var ids = TigerBatch.Stack(encoded, batch);
            var batchTargets = targets is null ? null
                : tensor(batch.SelectMany(i => Vocabulary.EncodeTarget(Index, targets[i])).Select(t => (long)t).ToArray()).view(batch.Length, steps);
            var batchKept = targets is null ? null : new bool[batch.Length][];
            var beams = ConstrainedBeamSearch.Search(Model, Trie, ids, beam, steps, DecodeTemperature, batchTargets, batchKept);
            for (int i = 0; i < batch.Length; i++) result[batch[i]] = beams[i];
            if (batchKept is not null) for (int i = 0; i < batch.Length; i++) targetKept![batch[i]] = batchKept[i];
            progress?.Invoke(batch.Length);
        }
    }

    public void Dispose()
    {
        Trie.Dispose();
        Model.Dispose();
    }
}
