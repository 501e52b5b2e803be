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
/// <c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>).
/// <para>
/// What the file holds besides the adapters, so that PEFT rebuilds the same model:
/// the embedding and the head are always written, as full matrices (the identifier rows are new, so the
/// base model alone cannot supply them). When they train they are <c>modules_to_save</c>, under
/// <c>base_model.model.model.embed_tokens.weight</c> and <c>base_model.model.lm_head.weight</c>; a tied
/// base gets its head written too (equal to the embedding), because PEFT's copy of a module to save
/// does not follow the tie and <c>ensure_weight_tying</c> exists only in recent PEFT versions, so an
/// older one would keep the head's random identifier rows. When they are frozen they are written
/// under the same keys without <c>modules_to_save</c>, as PEFT's save_embedding_layers does: PEFT loads
/// them straight into the (resized) base model.
/// </para>
/// </summary>
public static class LoraAdapters
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string Prefix = "base_model.model.";
    private const string EmbeddingName = "model.embed_tokens.weight";
    private const string HeadName = "lm_head.weight";

    /// <summary>The projections LoRA can target here: PEFT's "all-linear" for this architecture (every linear layer but the head).</summary>
    public static readonly string[] Projections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Adds adapters (A from a generator seeded with <paramref name="seed"/>, B = 0) and freezes the base.</summary>
    public static void Apply(LlamaForCausalLM model, LoraConfig config, long seed)
    {
        config.Validate();
        using var generator = new Generator().manual_seed(seed);
        int added = 0;
        foreach (var (name, layer) in model.Projections())
        {
            if (!config.TargetModules.Contains(name[(name.LastIndexOf('.') + 1)..])) continue;
            layer.AddAdapter(config.Rank, config.Alpha, config.Dropout, generator, config.UseRsLora);
            added++;
        }
        if (added == 0) throw new ArgumentException($"no projection of the model is named {string.Join(", ", config.TargetModules)}");
        foreach (var (name, p) in model.named_parameters())
            p.requires_grad = IsAdapter(name) || (config.Embeddings != EmbeddingTraining.Frozen && IsSaved(name));
    }

    /// <summary>The adapters' A and B matrices.</summary>
    public static bool IsAdapter(string name) => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal);

    /// <summary>The modules_to_save: the token embedding and the output head.</summary>
    public static bool IsSaved(string name) => name is EmbeddingName or HeadName;

    /// <summary>The parameters that train: LoRA matrices and (unless frozen) the embedding and head.</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> Trainable(LlamaForCausalLM model, LoraConfig config) =>
        model.named_parameters().Where(p => IsAdapter(p.name) || (config.Embeddings != EmbeddingTraining.Frozen && IsSaved(p.name)));

    /// <summary>Folds every adapter into its projection (for decoding; the adapters stop costing products).</summary>
    public static void Merge(LlamaForCausalLM model)
    {
        foreach (var (_, layer) in model.Projections()) layer.Merge();
    }

    /// <summary>
    /// Writes adapter_config.json and adapter_model.safetensors into <paramref name="folder"/>:
    /// base_model_name_or_path is <see cref="LoraConfig.BaseModelName"/>, else <paramref name="baseModel"/> made absolute.
    /// </summary>
    public static void Save(string folder, LlamaForCausalLM model, LoraConfig config, string? baseModel)
    {
        Directory.CreateDirectory(folder);
        bool trained = config.Embeddings != EmbeddingTraining.Frozen;
        var json = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = config.BaseModelName ?? (baseModel is null ? null : Path.GetFullPath(baseModel)),
            ["r"] = config.Rank,
            ["lora_alpha"] = config.Alpha,
            ["lora_dropout"] = config.Dropout,
            ["target_modules"] = new JsonArray(config.TargetModules.Select(t => (JsonNode)t).ToArray()),
            ["modules_to_save"] = trained ? new JsonArray("embed_tokens", "lm_head") : null,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["use_rslora"] = config.UseRsLora,
            ["use_dora"] = false,
        };
        AtomicFile.WriteAllText(Path.Combine(folder, ConfigFile), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var tensors = model.named_parameters().Where(p => IsAdapter(p.name)).Select(p => KeyValuePair.Create(Prefix + p.name, (Tensor)p.parameter)).ToList();
        tensors.Add(KeyValuePair.Create(Prefix + EmbeddingName, (Tensor)model.EmbeddingWeight));
        // a tied head is written for modules_to_save (see the class summary); a frozen tied head follows the embedding PEFT loads
        if (trained || !model.Config.TieWordEmbeddings) tensors.Add(KeyValuePair.Create(Prefix + HeadName, (Tensor)model.HeadWeight));
        SafetensorsFile.Write(Path.Combine(folder, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
    }

    /// <summary>
    /// Reads a PEFT LoRA folder's adapter_config.json. Honoured: r, lora_alpha, lora_dropout,
    /// target_modules (names, or "all-linear"), modules_to_save (embed_tokens, lm_head), use_rslora,
    /// ensure_weight_tying (the head here is tied natively). Metadata and initialisation-only fields
    /// are ignored. Every other LoraConfig field is refused by name unless it has PEFT's default
    /// (use_dora, alpha_pattern, rank_pattern, fan_in_fan_out, bias, layers_to_transform, ...).
    /// </summary>
    public static LoraConfig ReadConfig(string folder)
    {
        var path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing: a PEFT adapter folder needs its adapter_config.json");
        JsonObject o;
        try
        {
            o = JsonNode.Parse(File.ReadAllText(path), documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new LetterDataException(path, null, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"is not valid JSON ({e.Message})");
        }
        return PeftLoraConfig.Read(o, path);
    }

    /// <summary>
    /// Loads adapter weights into a model that already carries adapters of the folder's config (see
    /// <see cref="Apply"/>). Keys are read with or without PEFT's adapter name
    /// (<c>lora_A.default.weight</c>, <c>embed_tokens.modules_to_save.default.weight</c>); every LoRA
    /// matrix must be present; saved embeddings and heads replace the model's. A head saved for a tied
    /// base must equal the embedding (the model here cannot untie them).
    /// </summary>
    public static void LoadWeights(string folder, LlamaForCausalLM model)
    {
        var path = Path.Combine(folder, WeightsFile);
        var tensors = SafetensorsFile.Read(path);
        try
        {
            var own = model.state_dict();
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            Tensor? tiedHead = null;
            string? tiedHeadKey = null;
            using var noGrad = no_grad();
            foreach (var (key, t) in tensors)
            {
                var name = ParameterName(key);
                if (name == HeadName && model.Config.TieWordEmbeddings)
                {
                    tiedHead = t;
                    tiedHeadKey = key;
                    continue;
                }
                if (!own.TryGetValue(name, out var target))
                    throw new LetterDataException(path, $"tensor {SafetensorsFile.Quote(key)}", "matches no parameter of the model (a different base model or LoRA targets?)");
                if (!loaded.Add(name)) throw new LetterDataException(path, $"tensor {SafetensorsFile.Quote(key)}", $"is a second copy of {name}");
                if (!t.shape.SequenceEqual(target.shape))
                    throw new LetterDataException(path, $"tensor {SafetensorsFile.Quote(key)}",
                        $"has shape [{string.Join(", ", t.shape)}], the model needs [{string.Join(", ", target.shape)}]" +
                        (IsSaved(name) ? " (the vocabulary: base tokens plus the identifier tokens of the run's index)" : ""));
                target.copy_(t.to_type(target.dtype));
            }
            foreach (var name in own.Keys.Where(IsAdapter))
                if (!loaded.Contains(name)) throw new LetterDataException(path, $"tensor {Prefix + name}", "is missing");
            if (tiedHead is not null)
            {
                var embedding = model.EmbeddingWeight;
                if (!tiedHead.shape.SequenceEqual(embedding.shape) || !tiedHead.to_type(embedding.dtype).eq(embedding).all().item<bool>())
                    throw new LetterDataException(path, $"tensor {SafetensorsFile.Quote(tiedHeadKey!)}",
                        "differs from the embedding, but the base model ties its head to the embedding; Letter cannot untie them (train with ensure_weight_tying, or save the head equal to the embedding)");
            }
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// Checks that a folder's adapter_config.json describes the adapters the model carries (targets,
    /// rank, scaling): an adapter dropped into a run's checkpoint folder (one trained in Python, say)
    /// must match the run's LoRA settings, or its weights would load under the wrong scale.
    /// </summary>
    public static void CheckAgrees(string folder, LlamaForCausalLM model)
    {
        var read = ReadConfig(folder);
        var path = Path.Combine(folder, ConfigFile);
        var carrying = model.Projections().Where(p => p.Layer.HasAdapter).ToList();
        var targets = carrying.Select(p => p.Name[(p.Name.LastIndexOf('.') + 1)..]).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (!read.TargetModules.Distinct().Order(StringComparer.Ordinal).SequenceEqual(targets))
            throw new LetterDataException(path, "target_modules", $"is {string.Join(", ", read.TargetModules)}; the run's model carries adapters on {string.Join(", ", targets)} (set the LoRA settings in the run's config.json to match)");
        var first = carrying[0].Layer;
        if (first.LoraA!.weight!.shape[0] != read.Rank)
            throw new LetterDataException(path, "r", $"is {read.Rank}; the run's adapters have rank {first.LoraA.weight.shape[0]} (set the LoRA settings in the run's config.json to match)");
        if (Math.Abs(first.Scaling - read.Scaling) > 1e-9 * Math.Max(1, Math.Abs(read.Scaling)))
            throw new LetterDataException(path, "lora_alpha", $"and use_rslora give the scale {read.Scaling:G6}; the run's adapters use {first.Scaling:G6} (set the LoRA settings in the run's config.json to match)");
    }

    /// <summary>A PEFT key as the model's parameter name: prefix, adapter name and modules_to_save wrapper removed.</summary>
    internal static string ParameterName(string key)
    {
        var name = key.StartsWith(Prefix, StringComparison.Ordinal) ? key[Prefix.Length..] : key;
        foreach (var part in new[] { ".lora_A.", ".lora_B." })
        {
            int at = name.IndexOf(part, StringComparison.Ordinal);
            // "...lora_A.<adapter>.weight" -> "...lora_A.weight"
            if (at >= 0 && name.EndsWith(".weight", StringComparison.Ordinal) && name.Length > at + part.Length + "weight".Length)
                name = name[..(at + part.Length)] + "weight";
        }
        int wrapper = name.IndexOf(".modules_to_save.", StringComparison.Ordinal);
        if (wrapper >= 0 && name.EndsWith(".weight", StringComparison.Ordinal)) name = name[..wrapper] + ".weight";
        return name;
    }
}
