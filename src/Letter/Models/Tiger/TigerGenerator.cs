using TorchSharp;
using Letter.Data;
using Letter.Generation;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// TIGER behind the generation seam: a history becomes the encoder input (its items' code tokens,
/// then end-of-sequence); decoding starts from the pad token. Histories of one input length decode in
/// one unpadded batch.
/// </summary>
public sealed class TigerGenerator : IMixedLengthGenerator
{
    public TigerGenerator(TigerModel model, ItemIndex index)
    {
        Model = model;
        Index = index;
        Vocabulary = TigerVocabulary.For(index, model.Config.TextTokens);
        if (Vocabulary.Size != model.VocabularySize)
            throw new ArgumentException($"the model has {model.VocabularySize} tokens, the index needs {Vocabulary.Size}");
    }

    public TigerModel Model { get; }
    public ItemIndex Index { get; }
    public TigerVocabulary Vocabulary { get; }

    public int VocabularySize => Vocabulary.Size;
    public int CodeToken(int level, int code) => Vocabulary.Token(level, code);
    public int EndToken => TigerVocabulary.Eos;
    public int MaxHistory => Model.Config.MaxHistory;
    public int InputLength(ReadOnlySpan<int> history) => PadInputs ? 0 : history.Length * Vocabulary.Levels + 1;

    /// <summary>
    /// Decode histories of any lengths together: right-padded and masked (as training's random batches are)
    /// instead of one batch per input length. For a service, whose concurrent requests rarely share a
    /// length; scores agree with unpadded decoding up to float rounding. Off by default (evaluation groups
    /// by length, which never pads).
    /// </summary>
    public bool PadInputs { get; set; }

    /// <summary>True once <see cref="UseBf16"/> has converted the model's weights to bfloat16.</summary>
    public Precision Precision { get; private set; } = Precision.Fp32;

    /// <summary>
    /// Decodes in bfloat16 from now on: the weights are converted (irreversibly, so only for a
    /// model that is not trained further); softmax, log-probabilities and beam scores stay fp32.
    /// </summary>
    public void UseBf16()
    {
        if (Precision == Precision.Bf16) return;
        Model.to(ScalarType.BFloat16);
        Precision = Precision.Bf16;
    }

    public IGenerationState Start(IReadOnlyList<int[]> histories)
    {
        var encoded = histories.Select(h => Vocabulary.EncodeHistory(Index, h)).ToList();
        var rows = Enumerable.Range(0, encoded.Count).ToArray();
        using var ids = PadInputs ? TigerBatch.StackPadded(encoded, rows, Model.Device) : TigerBatch.Stack(encoded, rows, Model.Device);
        return new TigerGenerationState(Model, ids);
    }
}

/// <summary>
/// The decoder's cache for one batch: the encoder runs once per user, each decoder layer's
/// cross-attention keys/values once per user (the beams of a user share them as extra query rows), and
/// the self-attention keys/values grow by one position per step and follow the chosen beams.
/// </summary>
internal sealed class TigerGenerationState : IGenerationState, IProfiledGenerationState
{
    private readonly TigerModel _model;
    private readonly DecoderBlock[] _blocks;
    private readonly Tensor[] _crossK, _crossV;   // [B, H, L, d_kv]
    private readonly Tensor? _crossBias;          // [B, 1, 1, L]: -inf at the pad positions of padded inputs, or null
    private readonly Tensor?[] _cacheK, _cacheV;  // [B * width, H, t, d_kv]
    private readonly long _users;
    private readonly bool _wasTraining;
    private int _step;

    /// <param name="ids">[B, L] int64 encoder input, one length for the batch</param>
    public TigerGenerationState(TigerModel model, Tensor ids)
    {
        _model = model;
        // decoding runs without dropout; a model in training (validation between epochs) goes back to it when done
        _wasTraining = model.training;
        model.eval();
        _blocks = model.DecoderBlocks.ToArray();
        _users = ids.shape[0];
        using var scope = NewDisposeScope();
        var encoded = model.Encode(ids);
        _crossBias = TigerModel.PaddingBias(ids)?.DetachFromDisposeScope();
        _crossK = _blocks.Select(b => b.CrossAttention.ProjectKey(encoded).DetachFromDisposeScope()).ToArray();
        _crossV = _blocks.Select(b => b.CrossAttention.ProjectValue(encoded).DetachFromDisposeScope()).ToArray();
        _cacheK = new Tensor?[_blocks.Length];
        _cacheV = new Tensor?[_blocks.Length];
    }

    public DecodeProfile? Profile { private get; set; }

    public Tensor NextLogits(Tensor? tokens)
    {
        using var scope = NewDisposeScope();
        long since = System.Diagnostics.Stopwatch.GetTimestamp();
        var current = tokens ?? full(_users, (long)TigerVocabulary.Pad, dtype: ScalarType.Int64, device: _model.Device);
        long rows = current.shape[0];
        int width = (int)(rows / _users);
        var x = _model.Embed(current).view(rows, 1, _model.Config.DModel);
        var selfBias = _model.DecoderStepBias(_step);
        since = Profile?.Add("decoder: embedding, position bias", since) ?? since;
        for (int l = 0; l < _blocks.Length; l++)
        {
            var (oldK, oldV) = (_cacheK[l], _cacheV[l]);
            x = _blocks[l].Step(x, ref _cacheK[l], ref _cacheV[l], selfBias, _crossK[l], _crossV[l], _crossBias, width, Profile);
            since = System.Diagnostics.Stopwatch.GetTimestamp();
            _cacheK[l]!.DetachFromDisposeScope();
            _cacheV[l]!.DetachFromDisposeScope();
            oldK?.Dispose();
            oldV?.Dispose();
        }
        _step++;
        var logits = _model.LmHead(_model.FinalDecoderNorm(x)).view(rows, -1).to_type(ScalarType.Float32).MoveToOuterDisposeScope(); // [rows, V]
        Profile?.Add("decoder: final norm, output layer", since);
        return logits;
    }

    public void Reorder(Tensor rows)
    {
        long since = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int l = 0; l < _blocks.Length; l++)
        {
            Swap(ref _cacheK[l], _cacheK[l]!.index_select(0, rows));
            Swap(ref _cacheV[l], _cacheV[l]!.index_select(0, rows));
        }
        Profile?.Add("reorder: key/value cache", since);
    }

    private static void Swap(ref Tensor? slot, Tensor replacement)
    {
        replacement.DetachFromDisposeScope();
        slot?.Dispose();
        slot = replacement;
    }

    public void Dispose()
    {
        foreach (var t in _crossK.Concat(_crossV)) t.Dispose();
        _crossBias?.Dispose();
        foreach (var t in _cacheK.Concat(_cacheV)) t?.Dispose();
        if (_wasTraining) _model.train();
    }
}
