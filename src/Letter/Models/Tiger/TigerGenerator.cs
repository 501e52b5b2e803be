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

    /// <summary>
    /// States only read the shared weights and build their own caches. The switches (<see cref="PadInputs"/>,
    /// <see cref="UseBf16"/>) are set before the generator is shared, never while it decodes.
    /// </summary>
    public bool ConcurrentDecoding => true;

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
