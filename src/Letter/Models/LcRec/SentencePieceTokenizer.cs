using System.Text;

namespace Letter.Models.LcRec;

/// <summary>
/// A SentencePiece-style vocabulary with scores (as GGUF embeds LLaMA's): "▁" marks a space, a space
/// is prepended to each piece of text between added tokens (as LLaMA's legacy tokenizer and
/// llama.cpp after a special token do), adjacent pieces are merged greedily by the highest score of
/// the merged piece (llama.cpp's llm_tokenizer_spm), and characters outside the vocabulary fall back
/// to byte tokens <c>&lt;0xNN&gt;</c>. Unknown, control and user-defined tokens are matched whole.
/// </summary>
public sealed class SentencePieceTokenizer : LlmTokenizer
{
    private const char Space = '\u2581';
    private const int UnknownType = 2, ControlType = 3, UserDefinedType = 4, ByteType = 6;
    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly int[] _types;
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly int[] _byteIds = new int[256];
    private readonly bool _addBos;
    private readonly bool _addEos;

    public SentencePieceTokenizer(string[] pieces, float[] scores, int[]? types, int bos, int eos, bool addSpacePrefix = true, bool addBos = true, bool addEos = false)
        : base(new AddedVocabulary())
    {
        _pieces = pieces;
        _scores = scores;
        _types = types ?? new int[pieces.Length];
        Bos = bos;
        Eos = eos;
        AddSpacePrefix = addSpacePrefix;
        _addBos = addBos;
        _addEos = addEos;
        Array.Fill(_byteIds, -1);
        for (int i = 0; i < pieces.Length; i++)
        {
            _ids.TryAdd(pieces[i], i);
            if (IsByte(i)) _byteIds[Convert.ToInt32(pieces[i][3..5], 16)] = i;
            else if (_types[i] is UnknownType or ControlType or UserDefinedType && pieces[i].Length > 0)
                Added.Add(new AddedToken(pieces[i], i, Special: _types[i] != UserDefinedType));
        }
    }

    public override int BaseCount => _pieces.Length;
    public override int Bos { get; }
    public override int Eos { get; }
    public bool AddSpacePrefix { get; }

    private bool IsByte(int id) => _types[id] == ByteType || (_pieces[id].Length == 6 && _pieces[id].StartsWith("<0x", StringComparison.Ordinal) && _pieces[id][5] == '>');

    public override int? VocabularyId(string token) => _ids.TryGetValue(token, out var id) ? id : null;

    protected override int[] AddSpecialTokens(List<int> ids) => [.. _addBos ? [Bos] : Array.Empty<int>(), .. ids, .. _addEos ? [Eos] : Array.Empty<int>()];

    protected override void EncodePiece(string text, bool atStart, List<int> output)
    {
        if (text.Length == 0) return;
        var normal = (AddSpacePrefix ? " " + text : text).Replace(' ', Space);
        // symbols: one per Unicode character (surrogate pairs kept together)
        var symbols = new List<string>();
        for (int i = 0; i < normal.Length; i++)
        {
            int len = char.IsHighSurrogate(normal[i]) && i + 1 < normal.Length ? 2 : 1;
            symbols.Add(normal.Substring(i, len));
            i += len - 1;
        }
        while (true)
        {
            int best = -1;
            float bestScore = float.NegativeInfinity;
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                if (_ids.TryGetValue(symbols[i] + symbols[i + 1], out var id) && _scores[id] > bestScore)
                {
                    bestScore = _scores[id];
                    best = i;
                }
            }
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        foreach (var s in symbols)
        {
            if (_ids.TryGetValue(s, out var id))
            {
                output.Add(id);
                continue;
            }
            foreach (var b in Encoding.UTF8.GetBytes(s))
                output.Add(_byteIds[b] >= 0 ? _byteIds[b] : throw new InvalidOperationException($"the vocabulary has no byte token for 0x{b:X2}"));
        }
    }

    /// <summary>The text of tokens: control tokens decode to nothing, bytes are gathered, the leading space of the prefix removed.</summary>
    public override string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id >= BaseCount && Added.Find(id) is { } added)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(added.Content));
                continue;
            }
            if (id < 0 || id >= _pieces.Length) throw new ArgumentOutOfRangeException(nameof(ids), $"token {id} is outside the vocabulary ({Count} tokens)");
            if (id == Bos || id == Eos || _types[id] == ControlType) continue;
            if (IsByte(id)) bytes.Add(Convert.ToByte(_pieces[id][3..5], 16));
            else bytes.AddRange(Encoding.UTF8.GetBytes(_pieces[id].Replace(Space, ' ')));
        }
        var text = Encoding.UTF8.GetString(bytes.ToArray());
        return AddSpacePrefix && text.StartsWith(' ') ? text[1..] : text;
    }
}
