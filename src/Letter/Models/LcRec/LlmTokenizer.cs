namespace Letter.Models.LcRec;

/// <summary>
/// A language model's tokenizer plus tokens added to it (the identifier tokens <c>&lt;a_0&gt;</c> ...):
/// added tokens are matched in the text first, as whole tokens (leftmost, longest), and each piece of
/// text between them is encoded on its own, as Hugging Face's tokenizers do.
/// </summary>
public abstract class LlmTokenizer
{
    private readonly List<string> _addedLater = [];

    protected LlmTokenizer(AddedVocabulary added) => Added = added;

    /// <summary>The tokens matched whole: the file's special tokens and those added since.</summary>
    protected AddedVocabulary Added { get; }

    /// <summary>Tokens the tokenizer had when loaded (ids 0 .. BaseCount - 1, added ones of the file included).</summary>
    public abstract int BaseCount { get; }
    public abstract int Bos { get; }
    public abstract int Eos { get; }
    /// <summary>Every id in use, tokens added since loading included.</summary>
    public int Count => Math.Max(BaseCount, Added.MaxId + 1);
    /// <summary>Tokens added since loading, in order (the identifier tokens).</summary>
    public IReadOnlyList<string> AddedTokens => _addedLater;

    /// <summary>The id of a token of the vocabulary written as text (added tokens aside), or null.</summary>
    public abstract int? VocabularyId(string token);

    /// <summary>The tokens of one piece of text that holds no added token; <paramref name="atStart"/>: it begins the text.</summary>
    protected abstract void EncodePiece(string piece, bool atStart, List<int> output);

    /// <summary>BOS / EOS around a sequence, as the tokenizer's post-processor or config says.</summary>
    protected abstract int[] AddSpecialTokens(List<int> ids);

    /// <summary>The text of tokens (special tokens included, as Hugging Face's decode with skip_special_tokens = false).</summary>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>
    /// Adds tokens as Hugging Face's add_tokens does (special = false, normalized = false): a token
    /// already known keeps its id, a new one takes the next id after the vocabulary and the added tokens.
    /// </summary>
    public void AddTokens(IEnumerable<string> tokens)
    {
        foreach (var t in tokens)
        {
            if (Added.Find(t) is not null) continue;
            int id = VocabularyId(t) ?? Count;
            Added.Add(new AddedToken(t, id, Special: false));
            _addedLater.Add(t);
        }
    }

    public int TokenId(string token) => Added.Find(token)?.Id
        ?? VocabularyId(token) ?? throw new KeyNotFoundException($"\"{token}\" is not a token of this vocabulary");

    /// <summary>The tokens of <paramref name="text"/> without BOS or EOS.</summary>
    public int[] Encode(string text) => Encode(text, addSpecialTokens: false);

    /// <summary>The tokens of <paramref name="text"/>; with <paramref name="addSpecialTokens"/>, BOS / EOS as the tokenizer adds them.</summary>
    public int[] Encode(string text, bool addSpecialTokens)
    {
        var output = new List<int>();
        foreach (var segment in Added.Split(text, normalizedTokens: false))
        {
            if (segment.Id >= 0) output.Add(segment.Id);
            else EncodePiece(text.Substring(segment.Start, segment.Length), segment.Start == 0, output);
        }
        return addSpecialTokens ? AddSpecialTokens(output) : output.ToArray();
    }

    /// <summary>Writes tokenizer.json and tokenizer_config.json with the added tokens into a folder; false when this tokenizer has no such form.</summary>
    public virtual bool TrySaveHuggingFace(string folder) => false;
}
