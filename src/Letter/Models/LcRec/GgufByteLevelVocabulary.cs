using Letter.Formats;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>
/// A GGUF "gpt2" vocabulary (byte-level BPE: tokenizer.ggml.tokens, .merges, .token_type, .pre) as the
/// tokenizer.json it was converted from: control and user-defined tokens become added tokens, the
/// pre-tokenizer is the one llama.cpp names in tokenizer.ggml.pre, and "qwen2" gets the NFC
/// normalizer of the tokenizer.json it came from.
/// </summary>
internal static class GgufByteLevelVocabulary
{
    private const int ControlType = 3, UserDefinedType = 4;

    // the split regexes of the pre-tokenizers llama.cpp knows by these names (llama-vocab.cpp)
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    public static HfTokenizer Read(GgufFile f, string[] tokens, int[]? types, int bos, int eos, bool addBos, bool addEos)
    {
        string pre = f.Metadata.TryGetValue("tokenizer.ggml.pre", out var p) ? p as string ?? "" : "";
        var split = pre switch
        {
            "llama3" or "llama-v3" or "llama-bpe" => Split(Llama3Pattern),
            "qwen2" => Split(Qwen2Pattern),
            "smollm" => """{"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]}""",
            "gpt-2" => """{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""",
            _ => throw new LetterDataException(f.Path, "tokenizer.ggml.pre", $"is \"{pre}\"; Letter knows the byte-level pre-tokenizers llama3 (llama-bpe), qwen2, smollm and gpt-2"),
        };
        var preTokenizer = HfPreTokenizer.Read(System.Text.Json.Nodes.JsonNode.Parse(split), f.Path, "tokenizer.ggml.pre")!;
        var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        var added = new AddedVocabulary();
        for (int i = 0; i < tokens.Length; i++)
        {
            int type = types?[i] ?? 1;
            if (type is ControlType or UserDefinedType) added.Add(new AddedToken(tokens[i], i, Special: type == ControlType));
            else vocab.TryAdd(tokens[i], i);
        }
        var merges = f.GetArray<string>("tokenizer.ggml.merges").Select((m, r) => m.Split(' ') is { Length: 2 } pair ? (pair[0], pair[1])
            : throw new LetterDataException(f.Path, $"tokenizer.ggml.merges[{r}]", "is not two tokens separated by a space")).ToList();
        BpeModel model;
        try
        {
            model = new BpeModel(vocab, merges, null, fuseUnknown: false, byteFallback: false, ignoreMerges: pre is "llama3" or "llama-v3" or "llama-bpe");
        }
        catch (ArgumentException e)
        {
            throw new LetterDataException(f.Path, "tokenizer.ggml.merges", e.Message);
        }
        // Qwen's tokenizer.json normalizes to NFC (llama.cpp does not; Hugging Face's ids need it)
        var normalizer = pre == "qwen2" ? HfNormalizer.Read(System.Text.Json.Nodes.JsonNode.Parse("""{"type": "NFC"}"""), f.Path, "tokenizer") : null;
        var decoder = HfDecoder.Read(System.Text.Json.Nodes.JsonNode.Parse("""{"type": "ByteLevel"}"""), f.Path, "tokenizer")!;
        return new HfTokenizer(model, added, normalizer, preTokenizer, decoder, addBos ? [bos] : [], addEos ? [eos] : [], bos, eos);
    }

    private static string Split(string regex) =>
        new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new System.Text.Json.Nodes.JsonArray(
                new System.Text.Json.Nodes.JsonObject { ["type"] = "Split", ["pattern"] = new System.Text.Json.Nodes.JsonObject { ["Regex"] = regex }, ["behavior"] = "Isolated", ["invert"] = false },
                new System.Text.Json.Nodes.JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = false }),
        }.ToJsonString();
}
