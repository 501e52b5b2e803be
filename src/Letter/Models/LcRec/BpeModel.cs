using System.Text;

namespace Letter.Models.LcRec;

/// <summary>
/// Hugging Face's BPE model (tokenizers' models/bpe): a word starts as one symbol per character
/// (a character outside the vocabulary becomes its UTF-8 byte tokens <c>&lt;0xNN&gt;</c> with
/// byte_fallback, else the unknown token, consecutive ones fused with fuse_unk, else it is dropped),
/// then the pair of adjacent symbols with the lowest merge rank is merged, the leftmost first among
/// equal ranks, until no pair has a merge. With ignore_merges a word that is a token is taken whole.
/// </summary>
public sealed class BpeModel
{
    private readonly Dictionary<string, int> _vocab;
    private readonly string?[] _tokens;
    private readonly Dictionary<(int, int), (int Rank, int Id)> _merges = [];
    private readonly int[] _byteTokens = new int[256];

    public BpeModel(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, string? unknown, bool fuseUnknown, bool byteFallback, bool ignoreMerges)
    {
        _vocab = vocab;
        _tokens = new string?[vocab.Count == 0 ? 0 : vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) _tokens[id] = token;
        for (int r = 0; r < merges.Count; r++)
        {
            var (left, right) = merges[r];
            if (!vocab.TryGetValue(left, out var a) || !vocab.TryGetValue(right, out var b))
                throw new ArgumentException($"merge {r} (\"{left} {right}\") names a token missing from the vocabulary");
            if (!vocab.TryGetValue(left + right, out var merged))
                throw new ArgumentException($"merge {r} (\"{left} {right}\") makes \"{left + right}\", which is missing from the vocabulary");
            _merges.TryAdd((a, b), (r, merged));
        }
        for (int b = 0; b < 256; b++) _byteTokens[b] = vocab.TryGetValue($"<0x{b:X2}>", out var id) ? id : -1;
        Unknown = unknown is null ? null : vocab.TryGetValue(unknown, out var u) ? u
            : throw new ArgumentException($"the unknown token \"{unknown}\" is missing from the vocabulary");
        FuseUnknown = fuseUnknown;
        ByteFallback = byteFallback;
        IgnoreMerges = ignoreMerges;
    }

    public int? Unknown { get; }
    public bool FuseUnknown { get; }
    public bool ByteFallback { get; }
    public bool IgnoreMerges { get; }
    /// <summary>Ids 0 .. Size - 1 (holes allowed).</summary>
    public int Size => _tokens.Length;

    public int? Id(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    public string? Token(int id) => id >= 0 && id < _tokens.Length ? _tokens[id] : null;

    public void Encode(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (IgnoreMerges && _vocab.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        var symbols = new List<int>(word.Length);
        bool lastUnknown = false;
        for (int i = 0; i < word.Length; i++)
        {
            int len = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            string c = word.Substring(i, len);
            i += len - 1;
            if (_vocab.TryGetValue(c, out var id))
            {
                symbols.Add(id);
                lastUnknown = false;
                continue;
            }
            if (ByteFallback && TryBytes(c, symbols))
            {
                lastUnknown = false;
                continue;
            }
            if (Unknown is int unk && !(FuseUnknown && lastUnknown))
            {
                symbols.Add(unk);
                lastUnknown = true;
            }
        }
        Merge(symbols);
        output.AddRange(symbols);
    }

    private bool TryBytes(string c, List<int> symbols)
    {
        var bytes = Encoding.UTF8.GetBytes(c);
        if (bytes.Any(b => _byteTokens[b] < 0)) return false;
        foreach (var b in bytes) symbols.Add(_byteTokens[b]);
        return true;
    }

    // symbols in a linked list; a queue of candidate merges by (rank, position), stale entries skipped
    private void Merge(List<int> symbols)
    {
        int n = symbols.Count;
        if (n < 2) return;
        var ids = symbols.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++)
        {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        var queue = new PriorityQueue<(int Pos, int Id), (int Rank, int Pos)>();
        void Push(int pos)
        {
            if (pos < 0 || next[pos] < 0) return;
            if (_merges.TryGetValue((ids[pos], ids[next[pos]]), out var m)) queue.Enqueue((pos, m.Id), (m.Rank, pos));
        }
        for (int i = 0; i + 1 < n; i++) Push(i);
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            if (!_merges.TryGetValue((ids[pos], ids[right]), out var m) || m.Id != top.Id) continue;
            ids[pos] = m.Id;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            Push(prev[pos]);
            Push(pos);
        }
        symbols.Clear();
        for (int i = 0; i >= 0; i = next[i]) symbols.Add(ids[i]);
    }
}
