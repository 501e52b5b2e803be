using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>
/// A Hugging Face tokenizer.json with a BPE model, run as tokenizers runs it: added tokens split the
/// raw text; each piece between them is normalized, split at added tokens marked normalized,
/// pre-tokenized and encoded by <see cref="BpeModel"/>; BOS / EOS come from tokenizer_config.json
/// (add_bos_token, add_eos_token) when it says, else from the file's post-processor; decoding runs
/// the file's decoder over the tokens' strings. Every component type is run or refused by name.
/// Microsoft.ML.Tokenizers' BpeTokenizer is not used: it neither splits at added tokens as
/// tokenizers does nor runs these normalizers, decoders and ignore_merges.
/// </summary>
public sealed class HfTokenizer : LlmTokenizer
{
    private readonly BpeModel _model;
    private readonly HfNormalizer? _normalizer;
    private readonly HfPreTokenizer? _preTokenizer;
    private readonly HfDecoder? _decoder;
    private readonly int[] _prefix;
    private readonly int[] _suffix;
    private readonly string? _sourceFile;
    private readonly string? _configFile;

    internal HfTokenizer(BpeModel model, AddedVocabulary added, HfNormalizer? normalizer, HfPreTokenizer? preTokenizer, HfDecoder? decoder,
        int[] prefix, int[] suffix, int bos, int eos, string? sourceFile = null, string? configFile = null) : base(added)
    {
        _model = model;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _decoder = decoder;
        _prefix = prefix;
        _suffix = suffix;
        BaseCount = Math.Max(model.Size, added.MaxId + 1);
        Bos = bos;
        Eos = eos;
        _sourceFile = sourceFile;
        _configFile = configFile;
    }

    public override int BaseCount { get; }
    public override int Bos { get; }
    public override int Eos { get; }
    /// <summary>What encoding with special tokens puts before and after the text.</summary>
    public IReadOnlyList<int> SpecialPrefix => _prefix;
    public IReadOnlyList<int> SpecialSuffix => _suffix;

    public override int? VocabularyId(string token) => _model.Id(token);

    protected override void EncodePiece(string piece, bool atStart, List<int> output)
    {
        var normalized = _normalizer?.Apply(piece) ?? piece;
        foreach (var segment in Added.Split(normalized, normalizedTokens: true))
        {
            if (segment.Id >= 0)
            {
                output.Add(segment.Id);
                continue;
            }
            var words = new List<TextPiece> { new(normalized.Substring(segment.Start, segment.Length), atStart && segment.Start == 0) };
            if (_preTokenizer is not null) words = _preTokenizer.Apply(words);
            foreach (var w in words) _model.Encode(w.Text, output);
        }
    }

    protected override int[] AddSpecialTokens(List<int> ids) => [.. _prefix, .. ids, .. _suffix];

    public override string Decode(IEnumerable<int> ids)
    {
        var tokens = new List<string>();
        foreach (var id in ids)
            if ((Added.Find(id)?.Content ?? _model.Token(id)) is { } t) tokens.Add(t); // tokenizers skips ids it does not know
        if (_decoder is null) return string.Join(' ', tokens);
        return string.Concat(_decoder.Apply(tokens));
    }

    /// <summary>
    /// Reads tokenizer.json, and tokenizer_config.json beside it when present (BOS / EOS tokens, whether
    /// they are added); BOS and EOS ids fall back to the model's config.
    /// </summary>
    public static HfTokenizer Load(string path, LlamaConfig config)
    {
        var root = ReadObject(path);
        var configPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "tokenizer_config.json");
        var tokenizerConfig = File.Exists(configPath) ? ReadObject(configPath) : null;
        foreach (var unsupported in new[] { "truncation", "padding" })
            if (root[unsupported] is JsonObject)
                throw new LetterDataException(path, unsupported, "is set; Letter neither truncates nor pads (set it to null)");
        var model = ReadModel(root["model"], path);
        var added = new AddedVocabulary();
        int i = 0;
        foreach (var t in root["added_tokens"] as JsonArray ?? [])
        {
            string field = $"added_tokens[{i++}]";
            if (t is not JsonObject o) throw new LetterDataException(path, field, "is not an object");
            int id = HfJson.Int(o, "id", -1, path, field);
            if (id < 0) throw new LetterDataException(path, $"{field}.id", "is missing or negative");
            bool special = HfJson.Bool(o, "special", false);
            added.Add(new AddedToken(HfJson.String(o, "content", path, field), id, special, HfJson.Bool(o, "normalized", !special),
                HfJson.Bool(o, "lstrip", false), HfJson.Bool(o, "rstrip", false), HfJson.Bool(o, "single_word", false)));
        }
        var normalizer = HfNormalizer.Read(root["normalizer"], path, "normalizer");
        var preTokenizer = HfPreTokenizer.Read(root["pre_tokenizer"], path, "pre_tokenizer");
        var decoder = HfDecoder.Read(root["decoder"], path, "decoder");
        int? Lookup(string token) => added.Find(token)?.Id ?? model.Id(token);
        int? ConfigToken(string key)
        {
            var node = tokenizerConfig?[key];
            string? content = node switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonObject o => o["content"]?.GetValue<string>(),
                _ => null,
            };
            if (content is null) return null;
            return Lookup(content) ?? throw new LetterDataException(configPath, key, $"names \"{content}\", which is not a token of {Path.GetFileName(path)}");
        }
        int bos = ConfigToken("bos_token") ?? config.BosTokenId;
        int eos = ConfigToken("eos_token") ?? config.EosTokenId;
        int[] prefix, suffix;
        bool? addBos = tokenizerConfig?["add_bos_token"] is JsonValue ab && ab.TryGetValue<bool>(out var b1) ? b1 : null;
        bool? addEos = tokenizerConfig?["add_eos_token"] is JsonValue ae && ae.TryGetValue<bool>(out var b2) ? b2 : null;
        if (addBos is not null || addEos is not null)
        {
            // transformers' LlamaTokenizerFast.update_post_processor: [bos] $A [eos] as the config says
            if (addBos == true && ConfigToken("bos_token") is null) throw new LetterDataException(configPath, "add_bos_token", "is true but bos_token is not set");
            if (addEos == true && ConfigToken("eos_token") is null) throw new LetterDataException(configPath, "add_eos_token", "is true but eos_token is not set");
            prefix = addBos == true ? [bos] : [];
            suffix = addEos == true ? [eos] : [];
        }
        else (prefix, suffix) = ReadPostProcessor(root["post_processor"], path, "post_processor", Lookup);
        return new HfTokenizer(model, added, normalizer, preTokenizer, decoder, prefix, suffix, bos, eos, path, tokenizerConfig is null ? null : configPath);
    }

    private static JsonObject ReadObject(string path)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject
                   ?? throw new LetterDataException(path, null, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"is not valid JSON ({e.Message})");
        }
    }

    private static BpeModel ReadModel(JsonNode? node, string path)
    {
        if (node is not JsonObject model) throw new LetterDataException(path, "model", "is missing");
        string type = HfJson.StringOrNull(model, "type", path, "model") ?? (model["merges"] is not null ? "BPE" : "");
        if (type != "BPE") throw new LetterDataException(path, "model.type", $"is \"{type}\"; Letter reads BPE tokenizers (not WordPiece, Unigram or WordLevel)");
        if (model["dropout"] is JsonValue d && d.TryGetValue<double>(out var dropout) && dropout > 0)
            throw new LetterDataException(path, "model.dropout", $"is {dropout}; BPE dropout samples a different encoding each time, which Letter does not do");
        foreach (var affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (HfJson.StringOrNull(model, affix, path, "model") is { Length: > 0 } value)
                throw new LetterDataException(path, $"model.{affix}", $"is \"{value}\"; Letter reads BPE models without one");
        if (model["vocab"] is not JsonObject vocabNode) throw new LetterDataException(path, "model.vocab", "is missing");
        var vocab = new Dictionary<string, int>(vocabNode.Count, StringComparer.Ordinal);
        foreach (var (token, idNode) in vocabNode)
        {
            if (idNode is not JsonValue v || !v.TryGetValue<int>(out var id) || id < 0) throw new LetterDataException(path, $"model.vocab[\"{token}\"]", "is not a non-negative integer id");
            vocab[token] = id;
        }
        var merges = new List<(string, string)>();
        int r = 0;
        foreach (var m in model["merges"] as JsonArray ?? [])
        {
            switch (m)
            {
                case JsonArray pair when pair.Count == 2:
                    merges.Add((pair[0]!.GetValue<string>(), pair[1]!.GetValue<string>()));
                    break;
                case JsonValue s when s.TryGetValue<string>(out var text) && text.Split(' ') is { Length: 2 } parts:
                    merges.Add((parts[0], parts[1]));
                    break;
                default:
                    throw new LetterDataException(path, $"model.merges[{r}]", "is neither \"a b\" nor [\"a\", \"b\"]");
            }
            r++;
        }
        try
        {
            return new BpeModel(vocab, merges, HfJson.StringOrNull(model, "unk_token", path, "model"), HfJson.Bool(model, "fuse_unk", false),
                HfJson.Bool(model, "byte_fallback", false), HfJson.Bool(model, "ignore_merges", false));
        }
        catch (ArgumentException e)
        {
            throw new LetterDataException(path, "model", e.Message);
        }
    }

    /// <summary>What a post-processor adds around a single sequence: TemplateProcessing, Bert/RobertaProcessing, ByteLevel (nothing), Sequence.</summary>
    private static (int[] Prefix, int[] Suffix) ReadPostProcessor(JsonNode? node, string path, string field, Func<string, int?> lookup)
    {
        if (node is null) return ([], []);
        string type = HfJson.Type(node, path, field);
        switch (type)
        {
            case "ByteLevel":
                return ([], []);
            case "BertProcessing" or "RobertaProcessing":
            {
                int Token(string key) => node[key] is JsonArray a && a.Count == 2 ? a[1]!.GetValue<int>() : throw new LetterDataException(path, $"{field}.{key}", "is not [token, id]");
                return ([Token("cls")], [Token("sep")]);
            }
            case "TemplateProcessing":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                bool seenSequence = false;
                int k = 0;
                foreach (var item in node["single"] as JsonArray ?? throw new LetterDataException(path, $"{field}.single", "is missing"))
                {
                    string itemField = $"{field}.single[{k++}]";
                    if (item?["Sequence"] is not null)
                    {
                        if (seenSequence) throw new LetterDataException(path, itemField, "repeats the sequence");
                        seenSequence = true;
                        continue;
                    }
                    string name = item?["SpecialToken"]?["id"]?.GetValue<string>() ?? throw new LetterDataException(path, itemField, "is neither a SpecialToken nor a Sequence");
                    var ids = node["special_tokens"]?[name]?["ids"] as JsonArray;
                    var resolved = ids is not null ? ids.Select(x => x!.GetValue<int>()).ToArray()
                        : lookup(name) is int one ? [one] : throw new LetterDataException(path, itemField, $"names \"{name}\", which special_tokens does not define");
                    (seenSequence ? suffix : prefix).AddRange(resolved);
                }
                return (prefix.ToArray(), suffix.ToArray());
            }
            case "Sequence":
            {
                var prefix = new List<int>();
                var suffix = new List<int>();
                int k = 0;
                foreach (var p in node["processors"] as JsonArray ?? [])
                {
                    var (pre, post) = ReadPostProcessor(p, path, $"{field}.processors[{k++}]", lookup);
                    prefix.InsertRange(0, pre);
                    suffix.AddRange(post);
                }
                return (prefix.ToArray(), suffix.ToArray());
            }
            default:
                throw new LetterDataException(path, field, $"is a {type} post-processor; Letter runs TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel and Sequence");
        }
    }

    /// <summary>
    /// tokenizer.json and tokenizer_config.json as read, with the tokens added since (the identifier
    /// tokens) appended as added tokens (special = false, normalized = false), so AutoTokenizer gives
    /// them the same ids.
    /// </summary>
    public override bool TrySaveHuggingFace(string folder)
    {
        if (_sourceFile is null) return false;
        Directory.CreateDirectory(folder);
        var root = ReadObject(_sourceFile);
        var list = root["added_tokens"] as JsonArray ?? [];
        root["added_tokens"] = list;
        var config = _configFile is not null ? ReadObject(_configFile) : new JsonObject { ["tokenizer_class"] = "PreTrainedTokenizerFast" };
        var decoderMap = config["added_tokens_decoder"] as JsonObject ?? [];
        config["added_tokens_decoder"] = decoderMap;
        foreach (var content in AddedTokens)
        {
            var t = Added.Find(content)!;
            list.Add(new JsonObject
            {
                ["id"] = t.Id, ["content"] = t.Content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false, ["normalized"] = false, ["special"] = false,
            });
            decoderMap[t.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = t.Content, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = false,
            };
        }
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), root.ToJsonString(options));
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config.ToJsonString(new JsonSerializerOptions(options) { WriteIndented = true }));
        return true;
    }
}
