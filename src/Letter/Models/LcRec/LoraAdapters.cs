using Letter.Formats;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// LoRA on a <see cref="LlamaForCausalLM"/>: adapters on the target projections, the base frozen, and
/// PEFT's file layout (adapter_config.json, adapter_model.safetensors with keys such as
/// <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>; the embedding and the head as
/// <c>modules_to_save</c>, saved under their own names, e.g. <c>base_model.model.lm_head.weight</c>).
/// </summary>
public static class LoraAdapters
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";

    /// <summary>Adds adapters (A from a generator seeded with <paramref name="seed"/>, B = 0) and freezes the base.</summary>
    public static void Apply(LlamaForCausalLM model, LoraConfig config, long seed)
    {
        config.Validate();
        using var generator = new Generator().manual_seed(seed);
        int added = 0;
        foreach (var (name, layer) in model.Projections())
        {
            if (!config.TargetModules.Contains(name[(name.LastIndexOf('.') + 1)..])) continue;
            layer.AddAdapter(config.Rank, config.Alpha, config.Dropout, generator);
            added++;
        }
        if (added == 0) throw new ArgumentException($"no projection of the model is named {string.Join(", ", config.TargetModules)}");
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = IsAdapter(name) || (config.Embeddings != EmbeddingTraining.Frozen && IsSaved(name));
    }

    /// <summary>The adapters' A and B matrices.</summary>
    public static bool IsAdapter(string name) => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);

    /// <summary>The modules_to_save: the token embedding and the output head.</summary>
    public static bool IsSaved(string name) => name is "model.embed_tokens.weight" or "lm_head.weight";

    /// <summary>The parameters an adapter file holds: LoRA matrices and (unless frozen) the embedding and head.</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> Trainable(LlamaForCausalLM model, LoraConfig config) =>
        model.named_parameters().Where(p => IsAdapter(p.name) || (config.Embeddings != EmbeddingTraining.Frozen && IsSaved(p.name)));

    /// <summary>Folds every adapter into its projection (for decoding; the adapters stop costing products).</summary>
    public static void Merge(LlamaForCausalLM model)
    {
        foreach (var (_, layer) in model.Projections()) layer.Merge();
    }

    /// <summary>Writes adapter_config.json and adapter_model.safetensors into <paramref name="folder"/>.</summary>
    public static void Save(string folder, LlamaForCausalLM model, LoraConfig config, string? baseModel)
    {
        Directory.CreateDirectory(folder);
        var saved = config.Embeddings == EmbeddingTraining.Frozen ? new JsonArray()
            : model.Config.TieWordEmbeddings ? new JsonArray("embed_tokens") : new JsonArray("embed_tokens", "lm_head");
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = config.Rank,
            ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)t).ToArray()),
            ["modules_to_save"] = saved,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["use_rslora"] = false,
            ["use_dora"] = false,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var tensors = Trainable(model, config).Select(p => KeyValuePair.Create(Prefix + p.Name, (Tensor)p.Parameter));
        SafetensorsFile.Write(Path.Combine(folder, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>Reads a PEFT LoRA folder: its config (rank, alpha, dropout, targets, whether embeddings were saved).</summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing: a PEFT adapter folder needs its adapter_config.json");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new LetterDataException(path, null, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"is not valid JSON ({e.Message})");
        }
        if (o["peft_type"]?.GetValue<string>() is { } type && type != "LORA") throw new LetterDataException(path, "peft_type", $"is {type}; Letter reads LORA adapters");
        var targets = o["target_modules"] switch
        {
            JsonArray a => a.Select(t => t!.GetValue<string>()).ToArray(),
            JsonValue v => [v.GetValue<string>()],
            _ => throw new LetterDataException(path, "target_modules", "is missing"),
        };
        var saved = (o["modules_to_save"] as JsonArray ?? []).Select(t => t!.GetValue<string>()).ToArray();
        return new LoraConfig
        {
            Rank = o["r"]?.GetValue<int>() ?? 8,
            Alpha = o["lora_alpha"]?.GetValue<double>() ?? 8,
            Dropout = o["lora_dropout"]?.GetValue<double>() ?? 0,
            TargetModules = targets,
            Embeddings = saved.Contains("embed_tokens") || saved.Contains("lm_head") ? EmbeddingTraining.All : EmbeddingTraining.Frozen,
        };
    }

    /// <summary>
    /// Loads adapter weights into a model that already carries adapters of the folder's config (see
    /// <see cref="Apply"/>): every LoRA matrix must be present; saved embeddings/heads replace the model's.
    /// </summary>
    public static void LoadWeights(string folder, LlamaForCausalLM model)
    {
        var path = Path.Combine(folder, WeightsFile);
        var tensors = SafetensorsFile.Read(path);
        var own = model.state_dict();
        using var noGrad = no_grad();
        foreach (var (key, t) in tensors)
        {
            // PEFT writes "base_model.model.<name>"; some versions keep the adapter name (".default")
            var name = key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;
            name = name.Replace(".lora_A.default.", ".lora_A.").Replace(".lora_B.default.", ".lora_B.");
            if (!own.TryGetValue(name, out var target)) throw new LetterDataException(path, $"tensor {key}", "matches no parameter of the model (a different base model or LoRA targets?)");
            if (!t.shape.SequenceEqual(target.shape))
                throw new LetterDataException(path, $"tensor {key}", $"has shape [{string.Join(", ", t.shape)}], the model needs [{string.Join(", ", target.shape)}]");
            target.copy_(t.to_type(target.dtype));
        }
        foreach (var name in own.Keys.Where(IsAdapter))
            if (!tensors.ContainsKey(Prefix + name)) throw new LetterDataException(path, $"tensor {Prefix + name}", "is missing");
        foreach (var t in tensors.Values) t.Dispose();
    }
}
