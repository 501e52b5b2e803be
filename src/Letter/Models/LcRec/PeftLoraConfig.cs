using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Models.LcRec;

/// <summary>
/// PEFT's LoraConfig fields as Letter reads them: each honoured, ignored because it only matters for
/// initialisation or bookkeeping, or refused by name unless it holds PEFT's default.
/// </summary>
internal static class PeftLoraConfig
{
    // fields that describe the file or the initialisation, not the model a loaded adapter gives
    private static readonly HashSet<string> Ignored =
    [
        "peft_type", "task_type", "base_model_name_or_path", "revision", "auto_mapping", "inference_mode", "init_lora_weights", "loftq_config",
        "eva_config", "corda_config", "runtime_config", "peft_version", "megatron_core", "qalora_group_size", "ensure_weight_tying",
        "r", "lora_alpha", "lora_dropout", "target_modules", "modules_to_save", "use_rslora",
    ];

    // fields that change the model unless they hold PEFT's default
    private static readonly Dictionary<string, string> Refused = new()
    {
        ["use_dora"] = "DoRA (weight-decomposed LoRA)",
        ["alpha_pattern"] = "a per-module alpha",
        ["rank_pattern"] = "a per-module rank",
        ["fan_in_fan_out"] = "transposed (Conv1D) weights",
        ["bias"] = "trained biases",
        ["lora_bias"] = "a bias on lora_B",
        ["layers_to_transform"] = "adapters on some layers only",
        ["layers_pattern"] = "adapters on some layers only",
        ["exclude_modules"] = "excluded modules",
        ["layer_replication"] = "replicated layers",
        ["megatron_config"] = "Megatron parallel layers",
        ["target_parameters"] = "adapters on parameters (not modules)",
        ["trainable_token_indices"] = "trainable token rows",
        ["use_qalora"] = "QA-LoRA",
        ["alora_invocation_tokens"] = "activated LoRA",
        ["arrow_config"] = "Arrow routing",
        ["lora_ga_config"] = "LoRA-GA",
        ["use_bdlora"] = "block-diagonal LoRA",
    };

    public static LoraConfig Read(JsonObject o, string path)
    {
        if (Text(o, "peft_type", path) is { } type && type != "LORA") throw new LetterDataException(path, "peft_type", $"is {type}; Letter reads LORA adapters");
        if (Text(o, "task_type", path) is { } task && task != "CAUSAL_LM") throw new LetterDataException(path, "task_type", $"is {task}; Letter reads CAUSAL_LM adapters");
        foreach (var (key, value) in o)
        {
            if (Ignored.Contains(key) || IsDefault(key, value)) continue;
            string what = Refused.TryGetValue(key, out var w) ? w : "a LoraConfig field Letter does not know";
            throw new LetterDataException(path, key, $"is {Shorten(value!.ToJsonString())}: {what}, which Letter does not implement");
        }
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select((t, i) => t is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw new LetterDataException(path, $"target_modules[{i}]", "is not a string")).ToArray(),
            JsonValue v when v.TryGetValue<string>(out var s) && s.Equals("all-linear", StringComparison.OrdinalIgnoreCase) => LoraAdapters.Projections,
            JsonValue v when v.TryGetValue<string>(out var s) =>
                throw new LetterDataException(path, "target_modules", $"is the regular expression {Shorten(v.ToJsonString())}; Letter reads a list of module names or \"all-linear\""),
            _ => throw new LetterDataException(path, "target_modules", "is missing"),
        };
        foreach (var t in targets)
            if (!LoraAdapters.Projections.Contains(t))
                throw new LetterDataException(path, "target_modules", $"names {Shorten(System.Text.Json.JsonSerializer.Serialize(t))}; Letter puts LoRA on {string.Join(", ", LoraAdapters.Projections)}");
        var saved = (o["modules_to_save"] as JsonArray ?? []).Select(t => t?.GetValue<string>() ?? "").ToArray();
        foreach (var m in saved)
            if (m is not ("embed_tokens" or "lm_head"))
                throw new LetterDataException(path, "modules_to_save", $"names {Shorten(System.Text.Json.JsonSerializer.Serialize(m))}; Letter saves embed_tokens and lm_head only");
        int rank = Number(o, "r", 8, path) is var r && r == Math.Floor(r) && r >= 1 && r <= 65536 ? (int)r : throw new LetterDataException(path, "r", "is not a positive integer");
        double alpha = Number(o, "lora_alpha", 8, path);
        double dropout = Number(o, "lora_dropout", 0, path);
        var config = new LoraConfig
        {
            Rank = rank,
            Alpha = alpha,
            Dropout = dropout,
            TargetModules = targets,
            Embeddings = saved.Length > 0 ? EmbeddingTraining.All : EmbeddingTraining.Frozen,
            UseRsLora = o["use_rslora"] is JsonValue rs && rs.TryGetValue<bool>(out var b) && b,
        };
        try
        {
            config.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new LetterDataException(path, null, e.Message.Split(" (Parameter")[0]);
        }
        return config;
    }

    private static bool IsDefault(string key, JsonNode? value) => value switch
    {
        null => true,
        JsonValue v when v.TryGetValue<bool>(out var b) => !b,
        JsonValue v when key == "bias" && v.TryGetValue<string>(out var s) => s == "none",
        JsonValue v when key == "megatron_core" && v.TryGetValue<string>(out var s) => s == "megatron.core",
        JsonObject obj => obj.Count == 0,
        JsonArray arr => arr.Count == 0,
        _ => false,
    };

    private static string? Text(JsonObject o, string key, string path) => o[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => throw new LetterDataException(path, key, "is not a string"),
    };

    private static double Number(JsonObject o, string key, double fallback, string path) => o[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        _ => throw new LetterDataException(path, key, "is not a number"),
    };

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
