using System.Text;

namespace Letter.Models.LcRec;

/// <summary>
/// A language model's tokenizer plus tokens added to it (the identifier tokens <c>&lt;a_0&gt;</c> ...):
/// added tokens are matched in the text first, as whole tokens, and the text between them goes
/// through the base vocabulary.
/// </summary>
public abstract class LlmTokenizer
{
    private readonly List<string> _added = [];
    private readonly Dictionary<string, int> _addedIds = new(StringComparer.Ordinal);

    /// <summary>Tokens of the base vocabulary (ids 0 .. BaseCount - 1).</summary>
    public abstract int BaseCount { get; }
    public abstract int Bos { get; }
    public abstract int Eos { get; }
    /// <summary>Every token, added ones included.</summary>
    public int Count => BaseCount + _added.Count;
    public IReadOnlyList<string> AddedTokens => _added;

    /// <summary>The base vocabulary's tokens of a piece of text with no added tokens in it.</summary>
    /// <param name="atStart">the piece begins the text (SentencePiece prepends its space there)</param>
    protected abstract void EncodeBase(string text, bool atStart, List<int> output);

    /// <summary>The bytes of a base token.</summary>
    protected abstract void DecodeBase(int id, List<byte> output);

    /// <summary>The id of a base token written as text, or null.</summary>
    public abstract int? BaseTokenId(string token);

    /// <summary>Adds tokens (ids from <see cref="Count"/> on); a token already present keeps its id.</summary>
    public void AddTokens(IEnumerable<string> tokens)
    {
        foreach (var t in tokens)
        {
            if (_addedIds.ContainsKey(t) || BaseTokenId(t) is not null) continue;
            _addedIds[t] = BaseCount + _added.Count;
            _added.Add(t);
        }
    }

    public int TokenId(string token) => _addedIds.TryGetValue(token, out var id) ? id
        : BaseTokenId(token) ?? throw new KeyNotFoundException($"\"{token}\" is not a token of this vocabulary");

    /// <summary>The tokens of <paramref name="text"/> (no BOS or EOS are added).</summary>
    public int[] Encode(string text)
    {
        var output = new List<int>();
        int pos = 0, start = 0;
        while (pos < text.Length)
        {
            int matched = _added.Count == 0 || text[pos] != '<' ? 0 : MatchAdded(text, pos, out int id);
            if (matched == 0)
            {
                pos++;
                continue;
            }
            if (pos > start) EncodeBase(text[start..pos], start == 0, output);
            output.Add(TokenIdAt(text, pos, matched));
            pos += matched;
            start = pos;
        }
        if (pos > start) EncodeBase(text[start..pos], start == 0, output);
        return output.ToArray();
    }

    private int TokenIdAt(string text, int pos, int length) => _addedIds[text.Substring(pos, length)];

    private int MatchAdded(string text, int pos, out int id)
    {
        int close = text.IndexOf('>', pos);
        id = -1;
        if (close < 0) return 0;
        string candidate = text.Substring(pos, close - pos + 1);
        if (!_addedIds.TryGetValue(candidate, out id)) return 0;
        return candidate.Length;
    }

    /// <summary>The text of tokens (added tokens as written; SentencePiece's leading space removed).</summary>
    public virtual string Decode(IEnumerable<int> ids)
    {
        var bytes = new List<byte>();
        foreach (var id in ids)
        {
            if (id >= BaseCount && id < Count) bytes.AddRange(Encoding.UTF8.GetBytes(_added[id - BaseCount]));
            else DecodeBase(id, bytes);
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
