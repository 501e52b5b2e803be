using Letter.Common;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>The LLaMA-family architectures a Hugging Face config.json names.</summary>
public enum LlmArchitecture
{
    /// <summary>LlamaForCausalLM (LLaMA, TinyLlama, SmolLM): no attention bias unless the config says so.</summary>
    Llama,
    /// <summary>Qwen2ForCausalLM: bias on the q, k and v projections, none on o.</summary>
    Qwen2,
}

/// <summary>
/// A decoder-only LLaMA-family model, as Hugging Face's config.json describes it. The defaults are
/// LLaMA-7B's (the paper's base model).
/// </summary>
public sealed record LlamaConfig
{
    public LlmArchitecture Architecture { get; init; } = LlmArchitecture.Llama;
    public int VocabSize { get; init; } = 32000;
    public int HiddenSize { get; init; } = 4096;
    public int IntermediateSize { get; init; } = 11008;
    public int NumHiddenLayers { get; init; } = 32;
    public int NumAttentionHeads { get; init; } = 32;
    /// <summary>Key/value heads (grouped-query attention); equal to the attention heads for plain multi-head attention.</summary>
    public int NumKeyValueHeads { get; init; } = 32;
    /// <summary>Per-head width; hidden / heads unless the config sets it.</summary>
    public int? HeadDim { get; init; }
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000;
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary>The output head reuses the token embedding (no lm_head.weight).</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Bias on q, k, v (and o for LLaMA's attention_bias; Qwen2 has none on o).</summary>
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public int BosTokenId { get; init; } = 1;
    public int EosTokenId { get; init; } = 2;

    public int Dh => HeadDim ?? HiddenSize / NumAttentionHeads;

    public void Validate()
    {
        if (VocabSize < 1 || HiddenSize < 1 || IntermediateSize < 1 || NumHiddenLayers < 1 || NumAttentionHeads < 1 || NumKeyValueHeads < 1)
            throw new ArgumentOutOfRangeException(nameof(LlamaConfig), "sizes must be positive");
        if (HeadDim is null && HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(NumAttentionHeads), $"hidden size {HiddenSize} is not divisible by {NumAttentionHeads} heads");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(NumKeyValueHeads), $"{NumAttentionHeads} heads are not a multiple of {NumKeyValueHeads} key/value heads");
        if (Dh % 2 != 0) throw new ArgumentOutOfRangeException(nameof(HeadDim), "rotary embeddings need an even head width");
    }

    /// <summary>Reads a Hugging Face config.json (LlamaForCausalLM or Qwen2ForCausalLM).</summary>
    public static LlamaConfig Load(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"is not valid JSON ({e.Message})");
        }
        if (root is not JsonObject o) throw new LetterDataException(path, null, "is not a JSON object");
        string arch = o["architectures"] is JsonArray a && a.Count > 0 ? a[0]!.GetValue<string>() : o["model_type"]?.GetValue<string>() ?? "";
        var kind = arch switch
        {
            "LlamaForCausalLM" or "llama" => LlmArchitecture.Llama,
            "Qwen2ForCausalLM" or "qwen2" => LlmArchitecture.Qwen2,
            _ => throw new LetterDataException(path, "architectures", $"names \"{arch}\"; Letter runs LlamaForCausalLM and Qwen2ForCausalLM"),
        };
        if (o["rope_scaling"] is JsonObject scaling && (scaling["rope_type"] ?? scaling["type"])?.ToString() is var scalingType && scalingType != "default")
            throw new LetterDataException(path, "rope_scaling", $"asks for rotary scaling \"{scalingType}\", which Letter does not implement");
        double? ropeTheta = ReadRopeParameters(o["rope_parameters"], path);
        T Value<T>(string key, Func<JsonValue, T> read)
        {
            try
            {
                return read((JsonValue)o[key]!);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or InvalidCastException)
            {
                throw new LetterDataException(path, key, $"is {o[key]!.ToJsonString()}, not a {typeof(T).Name.ToLowerInvariant()}");
            }
        }
        int Int(string key, int fallback) => o[key] is JsonValue ? Value(key, v => v.GetValue<int>()) : fallback;
        double Dbl(string key, double fallback) => o[key] is JsonValue ? Value(key, v => v.GetValue<double>()) : fallback;
        bool Bool(string key, bool fallback) => o[key] is JsonValue ? Value(key, v => v.GetValue<bool>()) : fallback;
        int FirstInt(string key, int fallback) => o[key] switch
        {
            JsonArray arr when arr.Count > 0 && arr[0] is JsonValue first => first.TryGetValue<int>(out var i) ? i : throw new LetterDataException(path, key, "is not a list of integers"),
            JsonValue => Value(key, v => v.GetValue<int>()),
            _ => fallback,
        };
        int heads = Int("num_attention_heads", 32);
        var config = new LlamaConfig
        {
            Architecture = kind,
            VocabSize = Int("vocab_size", 32000),
            HiddenSize = Int("hidden_size", 4096),
            IntermediateSize = Int("intermediate_size", 11008),
            NumHiddenLayers = Int("num_hidden_layers", 32),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Int("num_key_value_heads", heads),
            HeadDim = o["head_dim"] is JsonValue hd ? hd.GetValue<int>() : null,
            RmsNormEps = Dbl("rms_norm_eps", 1e-6),
            RopeTheta = ropeTheta ?? Dbl("rope_theta", 10000),
            MaxPositionEmbeddings = Int("max_position_embeddings", 2048),
            TieWordEmbeddings = Bool("tie_word_embeddings", kind == LlmArchitecture.Qwen2),
            AttentionBias = kind == LlmArchitecture.Qwen2 || Bool("attention_bias", false),
            MlpBias = Bool("mlp_bias", false),
            BosTokenId = FirstInt("bos_token_id", 1),
            EosTokenId = FirstInt("eos_token_id", 2),
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new LetterDataException(path, null, e.Message);
        }
        return config;
    }

    /// <summary>
    /// transformers v5's rope_parameters: {"rope_type": "default", "rope_theta": ...} is read (its theta
    /// wins over a top-level rope_theta); any other rope type, per-layer-type parameters or a partial
    /// rotary factor below 1 is refused by name.
    /// </summary>
    private static double? ReadRopeParameters(JsonNode? node, string path)
    {
        if (node is null) return null;
        if (node is not JsonObject p) throw new LetterDataException(path, "rope_parameters", "is not an object");
        if (p["rope_type"] is null && p.Count > 0 && p.All(kv => kv.Value is JsonObject))
            throw new LetterDataException(path, "rope_parameters", $"holds parameters per layer type ({string.Join(", ", p.Select(kv => kv.Key))}), which Letter does not implement");
        string type = p["rope_type"] is JsonValue t && t.TryGetValue<string>(out var name) ? name : "default";
        if (type != "default") throw new LetterDataException(path, "rope_parameters.rope_type", $"is \"{type}\"; Letter implements only the default rotary embedding");
        if (p["partial_rotary_factor"] is JsonValue f && f.TryGetValue<double>(out var factor) && factor != 1)
            throw new LetterDataException(path, "rope_parameters.partial_rotary_factor", $"is {factor}; Letter rotates every dimension of a head");
        foreach (var (key, _) in p)
            if (key is not ("rope_type" or "rope_theta" or "partial_rotary_factor"))
                throw new LetterDataException(path, $"rope_parameters.{key}", "is a rotary parameter Letter does not implement");
        if (p["rope_theta"] is null) return null;
        return p["rope_theta"] is JsonValue theta && theta.TryGetValue<double>(out var value) && value > 0 ? value
            : throw new LetterDataException(path, "rope_parameters.rope_theta", "is not a positive number");
    }

    /// <summary>This config as a Hugging Face config.json.</summary>
    public string ToHfJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture == LlmArchitecture.Qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"),
            ["model_type"] = Architecture == LlmArchitecture.Qwen2 ? "qwen2" : "llama",
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenId,
            ["hidden_act"] = "silu",
        };
        if (HeadDim is int h) o["head_dim"] = h;
        if (Architecture == LlmArchitecture.Llama)
        {
            o["attention_bias"] = AttentionBias;
            o["mlp_bias"] = MlpBias;
        }
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
