using Letter.Common;
using Letter.Data;
using TorchSharp;

namespace Letter.Models.Tiger;

/// <summary>
/// Token ids: 0 pad (also the decoder start), 1 end-of-sequence, then every code of every level
/// (level l, code c at <c>2 + offset[l] + c</c>, offsets from the codebook sizes of the index), then
/// <see cref="TextTokens"/> ids that no input or target uses. Those stand for the text vocabulary the
/// original LETTER-TIGER keeps because it tokenizes identifiers with T5's tokenizer: they only widen
/// the embedding table and the softmax, which is what they do there.
/// </summary>
public sealed class TigerVocabulary
{
    public const int Pad = 0;
    /// <summary><see cref="Pad"/> as a scalar kept alive for the process (Common/TorchScalars).</summary>
    internal static readonly Scalar PadScalar = ((long)Pad).ToScalar();
    public const int Eos = 1;
    private const int Special = 2;

    private readonly int[] _offsets;

    public TigerVocabulary(IReadOnlyList<int> codebookSizes, int textTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(textTokens);
        CodebookSizes = codebookSizes.ToArray();
        _offsets = new int[CodebookSizes.Length];
        int next = Special;
        for (int l = 0; l < CodebookSizes.Length; l++)
        {
            _offsets[l] = next;
            next += CodebookSizes[l];
        }
        CodeEnd = next;
        Size = next + textTokens;
    }

    public static TigerVocabulary For(ItemIndex index, int textTokens = 0) => new(index.CodebookSizes(), textTokens);

    public int[] CodebookSizes { get; }
    public int Levels => CodebookSizes.Length;
    public int Size { get; }
    /// <summary>Ids after the last code token, never read or generated (see the class summary).</summary>
    public int TextTokens => Size - CodeEnd;
    /// <summary>One past the last code token.</summary>
    public int CodeEnd { get; }

    public int Token(int level, int code) => _offsets[level] + code;

    /// <summary>The (level, code) of a code token.</summary>
    public (int Level, int Code) Decode(int token)
    {
        if (token < CodeEnd)
            for (int l = Levels - 1; l >= 0; l--)
                if (token >= _offsets[l]) return (l, token - _offsets[l]);
        throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is not a code token");
    }

    /// <summary>An item's code tokens.</summary>
    public int[] Identifier(int[] codes)
    {
        var t = new int[codes.Length];
        for (int l = 0; l < codes.Length; l++) t[l] = Token(l, codes[l]);
        return t;
    }

    /// <summary>Encoder input: the history items' code tokens oldest first, then end-of-sequence.</summary>
    public int[] EncodeHistory(ItemIndex index, ReadOnlySpan<int> history)
    {
        var ids = new int[history.Length * Levels + 1];
        for (int i = 0; i < history.Length; i++)
            for (int l = 0; l < Levels; l++)
                ids[i * Levels + l] = Token(l, index.Codes[history[i]][l]);
        ids[^1] = Eos;
        return ids;
    }

    /// <summary>Decoder target: the item's code tokens, then end-of-sequence.</summary>
    public int[] EncodeTarget(ItemIndex index, int item)
    {
        var ids = new int[Levels + 1];
        for (int l = 0; l < Levels; l++) ids[l] = Token(l, index.Codes[item][l]);
        ids[^1] = Eos;
        return ids;
    }

    /// <summary>Encoder inputs and decoder targets of leave-one-out samples, one of each per sample.</summary>
    public (List<int[]> Inputs, List<int[]> Targets) EncodeSamples(ItemIndex index, IReadOnlyList<Sample> samples) =>
        (samples.Select(s => EncodeHistory(index, s.History)).ToList(), samples.Select(s => EncodeTarget(index, s.Target)).ToList());
}
