using System.Text;

namespace Letter.Models.LcRec;

/// <summary>
/// A SentencePiece-style vocabulary with scores (as GGUF embeds LLaMA's): "▁" marks a space, a space
/// is prepended to the text, adjacent pieces are merged greedily by the highest score of the merged
/// piece (llama.cpp's llm_tokenizer_spm), and characters outside the vocabulary fall back to byte
/// tokens <c>&lt;0xNN&gt;</c>.
/// </summary>
public sealed class SentencePieceTokenizer : LlmTokenizer
{
    private const char Space = '\u2581';
    private const int ByteType = 6;
    private readonly string[] _pieces;
    private readonly float[] _scores;
    private readonly int[] _types;
    private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly int[] _byteIds = new int[256];

    public SentencePieceTokenizer(string[] pieces, float[] scores, int[]? types, int bos, int eos, bool addSpacePrefix = true)
    {
        _pieces = pieces;
        _scores = scores;
        _types = types ?? new int[pieces.Length];
        Bos = bos;
        Eos = eos;
        AddSpacePrefix = addSpacePrefix;
        Array.Fill(_byteIds, -1);
        for (int i = 0; i < pieces.Length; i++)
        {
            _ids.TryAdd(pieces[i], i);
            if (IsByte(i)) _byteIds[Convert.ToInt32(pieces[i][3..5], 16)] = i;
        }
    }

    public override int BaseCount => _pieces.Length;
    public override int Bos { get; }
    public override int Eos { get; }
    public bool AddSpacePrefix { get; }

    private bool IsByte(int id) => _types[id] == ByteType || (_pieces[id].Length == 6 && _pieces[id].StartsWith("<0x", StringComparison.Ordinal) && _pieces[id][5] == '>');

    public override int? BaseTokenId(string token) => _ids.TryGetValue(token, out var id) ? id : null;

    protected override void EncodeBase(string text, bool atStart, List<int> output)
    {
        if (text.Length == 0) return;
        var normal = (atStart && AddSpacePrefix ? " " + text : text).Replace(' ', Space);
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

    protected override void DecodeBase(int id, List<byte> output)
    {
        if (id < 0 || id >= _pieces.Length) throw new ArgumentOutOfRangeException(nameof(id), $"token {id} is outside the vocabulary ({Count} tokens)");
        if (id == Bos || id == Eos || _types[id] == 3) return; // control tokens decode to nothing
        if (IsByte(id))
        {
            output.Add(Convert.ToByte(_pieces[id][3..5], 16));
            return;
        }
        output.AddRange(Encoding.UTF8.GetBytes(_pieces[id].Replace(Space, ' ')));
    }

    public override string Decode(IEnumerable<int> ids)
    {
        var text = base.Decode(ids);
        return AddSpacePrefix && text.StartsWith(' ') ? text[1..] : text;
    }
}
