using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Letter.IO;
using Microsoft.ML.Tokenizers;

namespace Letter.Models.LcRec;

/// <summary>
/// A Hugging Face tokenizer.json with a BPE model. Byte-level BPE (GPT-2 style: SmolLM, Qwen2) runs
/// through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> with the file's split pattern;
/// SentencePiece-style BPE (byte fallback, "▁" for spaces: LLaMA, TinyLlama) runs through
/// <see cref="SentencePieceTokenizer"/>, with a piece's merge rank as its score (the earlier a merge, the
/// higher), which is the order SentencePiece's BPE merges in.
/// </summary>
public sealed class HfTokenizer : LlmTokenizer
{
    // GPT-2's pre-tokenizer pattern, the ByteLevel pre-tokenizer's default
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _special;

    private HfTokenizer(BpeTokenizer bpe, Dictionary<string, int> vocab, Dictionary<int, string> special, int count, int bos, int eos)
    {
        _bpe = bpe;
        _vocab = vocab;
        _special = special;
        BaseCount = count;
        Bos = bos;
        Eos = eos;
    }

    public override int BaseCount { get; }
    public override int Bos { get; }
    public override int Eos { get; }

    public override int? BaseTokenId(string token) => _vocab.TryGetValue(token, out var id) ? id : null;

    protected override void EncodeBase(string text, bool atStart, List<int> output) =>
        output.AddRange(_bpe.EncodeToIds(text, considerPreTokenization: true, considerNormalization: true));

    protected override void DecodeBase(int id, List<byte> output)
    {
        if (_special.ContainsKey(id)) return; // special tokens (BOS, EOS, chat markers) decode to nothing
        output.AddRange(Encoding.UTF8.GetBytes(_bpe.Decode([id]) ?? ""));
    }

    /// <summary>Reads tokenizer.json; BOS and EOS come from the model's config (or the file's special tokens).</summary>
    public static LlmTokenizer Load(string path, LlamaConfig config)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new LetterDataException(path, null, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"is not valid JSON ({e.Message})");
        }
        if (root["model"] is not JsonObject model || model["type"]?.GetValue<string>() != "BPE")
            throw new LetterDataException(path, "model.type", $"is \"{root["model"]?["type"]}\"; Letter reads BPE tokenizers");
        if (model["vocab"] is not JsonObject vocabNode) throw new LetterDataException(path, "model.vocab", "is missing");
        var vocab = vocabNode.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>(), StringComparer.Ordinal);
        var merges = (model["merges"] as JsonArray ?? []).Select(m => m is JsonArray pair
            ? $"{pair[0]!.GetValue<string>()} {pair[1]!.GetValue<string>()}" : m!.GetValue<string>()).ToList();
        var special = new Dictionary<int, string>();
        foreach (var t in root["added_tokens"] as JsonArray ?? [])
        {
            int id = t!["id"]!.GetValue<int>();
            string content = t["content"]!.GetValue<string>();
            vocab[content] = id;
            if (t["special"]?.GetValue<bool>() ?? true) special[id] = content;
        }
        int count = vocab.Values.Max() + 1;
        bool byteFallback = model["byte_fallback"]?.GetValue<bool>() ?? false;
        if (byteFallback || vocab.ContainsKey("<0x41>"))
        {
            var pieces = new string[count];
            var scores = new float[count];
            foreach (var (piece, id) in vocab) pieces[id] = piece;
            for (int i = 0; i < count; i++) pieces[i] ??= $"<unused_{i}>";
            var rank = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int r = 0; r < merges.Count; r++) rank.TryAdd(merges[r].Replace(" ", ""), r);
            for (int i = 0; i < count; i++) scores[i] = rank.TryGetValue(pieces[i], out var r) ? -r : -1e9f;
            var types = pieces.Select((p, i) => special.ContainsKey(i) ? 3 : p.Length == 6 && p.StartsWith("<0x", StringComparison.Ordinal) ? 6 : 1).ToArray();
            return new SentencePieceTokenizer(pieces, scores, types, config.BosTokenId, config.EosTokenId);
        }
        var pattern = FindSplitPattern(root["pre_tokenizer"]) ?? Gpt2Pattern;
        var specialTokens = special.ToDictionary(kv => kv.Value, kv => kv.Key);
        var options = new BpeOptions(vocab.Where(kv => !special.ContainsKey(kv.Value)))
        {
            Merges = merges,
            ByteLevel = true,
            PreTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled), specialTokens),
            SpecialTokens = specialTokens,
        };
        return new HfTokenizer(BpeTokenizer.Create(options), vocab, special, count, config.BosTokenId, config.EosTokenId);
    }

    /// <summary>The regex of the first Split pre-tokenizer (Qwen2's and SmolLM's patterns), if any.</summary>
    private static string? FindSplitPattern(JsonNode? node)
    {
        if (node is not JsonObject o) return null;
        if (o["type"]?.GetValue<string>() == "Split" && o["pattern"]?["Regex"] is JsonValue regex) return regex.GetValue<string>();
        foreach (var child in o["pretokenizers"] as JsonArray ?? [])
            if (FindSplitPattern(child) is { } p) return p;
        return null;
    }
}
