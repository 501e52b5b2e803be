namespace Letter.Models.LcRec;

/// <summary>
/// One token matched whole in the text before the vocabulary sees it (Hugging Face's AddedToken):
/// special tokens (BOS, chat markers) and tokens added later (the identifier tokens).
/// </summary>
/// <param name="Normalized">matched in the normalized text rather than the raw text</param>
/// <param name="LStrip">swallows the whitespace on its left</param>
/// <param name="RStrip">swallows the whitespace on its right</param>
/// <param name="SingleWord">matches only where no word character touches it</param>
public sealed record AddedToken(string Content, int Id, bool Special, bool Normalized = false, bool LStrip = false, bool RStrip = false, bool SingleWord = false);

/// <summary>A stretch of text: either an added token (<see cref="Id"/> &gt;= 0) or text for the vocabulary.</summary>
public readonly record struct TextSegment(int Start, int Length, int Id);

/// <summary>
/// The added tokens of a tokenizer and their matching (tokenizers' AddedVocabulary): leftmost-longest
/// matches, as its Aho-Corasick matcher finds them, with lstrip / rstrip / single_word honoured.
/// Tokens with normalized = false are matched in the raw text, the others in each normalized piece.
/// </summary>
public sealed class AddedVocabulary
{
    private readonly List<AddedToken> _tokens = [];
    private readonly Dictionary<string, AddedToken> _byContent = new(StringComparer.Ordinal);
    private readonly Dictionary<int, AddedToken> _byId = [];
    private readonly Trie _raw = new();
    private readonly Trie _normalized = new();

    public IReadOnlyList<AddedToken> Tokens => _tokens;
    public int Count => _tokens.Count;
    /// <summary>The highest id of an added token, or -1.</summary>
    public int MaxId { get; private set; } = -1;

    public void Add(AddedToken token)
    {
        if (token.Content.Length == 0) throw new ArgumentException("an added token cannot be empty");
        if (_byContent.ContainsKey(token.Content)) return;
        _tokens.Add(token);
        _byContent[token.Content] = token;
        _byId.TryAdd(token.Id, token);
        MaxId = Math.Max(MaxId, token.Id);
        (token.Normalized ? _normalized : _raw).Add(token);
    }

    public AddedToken? Find(string content) => _byContent.GetValueOrDefault(content);

    public AddedToken? Find(int id) => _byId.GetValueOrDefault(id);

    /// <summary>Splits text at the tokens matched in raw text (<paramref name="normalizedTokens"/> false) or in normalized text.</summary>
    public List<TextSegment> Split(string text, bool normalizedTokens)
    {
        var trie = normalizedTokens ? _normalized : _raw;
        var result = new List<TextSegment>();
        int textStart = 0, pos = 0;
        while (pos < text.Length && !trie.IsEmpty)
        {
            var token = trie.LongestAt(text, pos);
            if (token is null || (token.SingleWord && !StandsAlone(text, pos, token.Content.Length)))
            {
                pos++;
                continue;
            }
            int start = pos, end = pos + token.Content.Length;
            if (token.LStrip)
                while (start > textStart && char.IsWhiteSpace(text[start - 1])) start--;
            if (token.RStrip)
                while (end < text.Length && char.IsWhiteSpace(text[end])) end++;
            if (start > textStart) result.Add(new TextSegment(textStart, start - textStart, -1));
            result.Add(new TextSegment(start, end - start, token.Id));
            textStart = pos = end;
        }
        if (textStart < text.Length) result.Add(new TextSegment(textStart, text.Length - textStart, -1));
        return result;
    }

    // single_word: no word character (letter, digit, '_') directly before or after the match
    private static bool StandsAlone(string text, int start, int length)
    {
        static bool Word(char c) => char.IsLetterOrDigit(c) || c == '_';
        return (start == 0 || !Word(text[start - 1])) && (start + length >= text.Length || !Word(text[start + length]));
    }

    private sealed class Trie
    {
        private sealed class Node
        {
            public readonly Dictionary<char, Node> Next = [];
            public AddedToken? Token;
        }

        private readonly Node _root = new();

        public bool IsEmpty => _root.Next.Count == 0;

        public void Add(AddedToken token)
        {
            var node = _root;
            foreach (var c in token.Content)
            {
                if (!node.Next.TryGetValue(c, out var next)) node.Next[c] = next = new Node();
                node = next;
            }
            node.Token ??= token;
        }

        public AddedToken? LongestAt(string text, int pos)
        {
            var node = _root;
            AddedToken? best = null;
            for (int i = pos; i < text.Length && node.Next.TryGetValue(text[i], out var next); i++)
            {
                node = next;
                if (node.Token is not null) best = node.Token;
            }
            return best;
        }
    }
}
