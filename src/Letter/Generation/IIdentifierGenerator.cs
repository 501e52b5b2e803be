using static TorchSharp.torch;

namespace Letter.Generation;

/// <summary>The numeric precision a generator decodes in.</summary>
public enum Precision
{
    Fp32,
    Bf16,
}

/// <summary>
/// A model that generates item identifiers token by token: the one seam between a generative
/// recommender (TIGER, an LLM) and everything that decodes, evaluates or serves it. Implementations
/// hold their own item index to turn a history into model input; the beam search only sees token ids
/// of the generator's vocabulary.
/// </summary>
/// <remarks>
/// One generation state is used by one thread. Whether states of one generator may decode on several
/// threads at once is the generator's to say (<see cref="ConcurrentDecoding"/>); otherwise callers
/// serialise (<see cref="GenerativeRecommender"/> does).
/// </remarks>
public interface IIdentifierGenerator
{
    /// <summary>The width of the next-token distribution (the generator's whole vocabulary).</summary>
    int VocabularySize { get; }

    /// <summary>The token that spells code <paramref name="code"/> of identifier level <paramref name="level"/>.</summary>
    int CodeToken(int level, int code);

    /// <summary>The token that ends an identifier (end-of-sequence).</summary>
    int EndToken { get; }

    /// <summary>Most recent history items the generator reads; longer histories are cut to their last this many.</summary>
    int MaxHistory { get; }

    /// <summary>
    /// The input length of a history (already cut to <see cref="MaxHistory"/>): histories of equal length
    /// are decoded in one batch, so a generator that cannot pad sees one length per <see cref="Start"/>.
    /// </summary>
    int InputLength(ReadOnlySpan<int> history);

    /// <summary>What the generator decodes in (recorded beside metrics).</summary>
    Precision Precision { get; }

    /// <summary>
    /// True when several states of this generator may decode at once, each on its own thread (inference on
    /// shared weights, nothing shared that a step writes): <see cref="GenerativeRecommender.Decode"/> then
    /// spreads batches over <see cref="DecoderLanes"/> and a service decodes on all its lanes. False (the
    /// default) keeps a generator to one decoding at a time.
    /// </summary>
    bool ConcurrentDecoding => false;

    /// <summary>Begins decoding a batch of histories (item ids, oldest first, each cut to <see cref="MaxHistory"/>).</summary>
    IGenerationState Start(IReadOnlyList<int[]> histories);
}

/// <summary>The cached state of one batch being decoded (encoder output, key/value caches).</summary>
public interface IGenerationState : IDisposable
{
    /// <summary>
    /// Feeds the tokens just chosen and returns the logits of the next token, float32 [rows, V]. The first
    /// call takes null (nothing generated yet) and returns one row per user; later calls take [rows] int64,
    /// one token per current row, in the row order of the last <see cref="Reorder"/>.
    /// </summary>
    Tensor NextLogits(Tensor? tokens);

    /// <summary>
    /// Keeps the rows <paramref name="rows"/> ([rows'] int64, indices into the current rows, repeats allowed)
    /// in that order: the beams chosen at this step. Called after every <see cref="NextLogits"/>.
    /// </summary>
    void Reorder(Tensor rows);
}
