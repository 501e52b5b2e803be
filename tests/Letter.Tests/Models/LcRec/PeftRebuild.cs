using System.Text.Json.Nodes;
using Letter.Formats;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

/// <summary>
/// Rebuilds a fine-tuned model from an adapter folder alone, the way Python would with
/// AutoTokenizer + resize_token_embeddings + PeftModel.from_pretrained + merge_and_unload, written
/// here without Letter's adapter code (no LoraAdapters, LcRecCheckpoint or LcRecModel): the base
/// weights; the vocabulary resized to len(tokenizer) (tokenizer.json's ids) or, without a tokenizer,
/// to the saved embedding's rows, the new rows NaN so any row the adapter fails to supply shows;
/// saved embedding/head rows (modules_to_save, or a full layer as save_embedding_layers writes it);
/// a tied head following the embedding unless lm_head is a module to save (then PEFT's copy is used);
/// W += s B A with s = lora_alpha / r, or lora_alpha / sqrt(r) with use_rslora.
/// </summary>
internal static class PeftRebuild
{
    private const string Prefix = "base_model.model.";

    public static LlamaForCausalLM Build(string adapterFolder, LlamaConfig baseConfig, IReadOnlyDictionary<string, Tensor> baseWeights, bool ignoreRsLora = false)
    {
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapterFolder, "adapter_config.json")))!.AsObject();
        int r = config["r"]!.GetValue<int>();
        double alpha = config["lora_alpha"]!.GetValue<double>();
        bool rs = !ignoreRsLora && (config["use_rslora"]?.GetValue<bool>() ?? false);
        double scale = rs ? alpha / Math.Sqrt(r) : alpha / r;
        var toSave = (config["modules_to_save"] as JsonArray ?? []).Select(n => n!.GetValue<string>()).ToHashSet();
        var adapter = SafetensorsFile.Read(Path.Combine(adapterFolder, "adapter_model.safetensors"));

        int rows = VocabularyRows(adapterFolder, adapter);
        bool headSeparate = !baseConfig.TieWordEmbeddings || toSave.Contains("lm_head");
        var state = new Dictionary<string, Tensor>();
        foreach (var (name, t) in baseWeights) state[name] = t.to_type(ScalarType.Float32).clone();
        Tensor Resize(Tensor t) => cat([t.narrow(0, 0, Math.Min(rows, t.shape[0])), full(rows - Math.Min(rows, t.shape[0]), t.shape[1], float.NaN)], 0);
        state["model.embed_tokens.weight"] = Resize(state["model.embed_tokens.weight"]);
        if (state.ContainsKey("lm_head.weight")) state["lm_head.weight"] = Resize(state["lm_head.weight"]);

        var lora = new Dictionary<string, (Tensor? A, Tensor? B)>();
        foreach (var (key, t) in adapter)
        {
            Assert.StartsWith(Prefix, key);
            var name = key[Prefix.Length..];
            foreach (var part in new[] { "lora_A", "lora_B" })
            {
                int at = name.IndexOf($".{part}.", StringComparison.Ordinal);
                if (at < 0) continue;
                var module = name[..at];
                var pair = lora.GetValueOrDefault(module);
                lora[module] = part == "lora_A" ? (t, pair.B) : (pair.A, t);
                name = "";
            }
            if (name.Length == 0) continue;
            // modules_to_save or a saved embedding layer: the full matrix replaces the base's
            Assert.True(name is "model.embed_tokens.weight" or "lm_head.weight", $"unexpected tensor {key}");
            state[name] = t.to_type(ScalarType.Float32).clone();
        }
        if (!headSeparate) state.Remove("lm_head.weight");
        else if (!state.ContainsKey("lm_head.weight")) state["lm_head.weight"] = state["model.embed_tokens.weight"].clone();
        foreach (var (module, (a, b)) in lora)
        {
            Assert.True(a is not null && b is not null, $"{module} lacks lora_A or lora_B");
            state[module + ".weight"] = state[module + ".weight"] + b!.to_type(ScalarType.Float32).matmul(a!.to_type(ScalarType.Float32)) * scale;
        }

        var model = new LlamaForCausalLM(baseConfig with { VocabSize = rows, TieWordEmbeddings = !headSeparate });
        using (no_grad())
        {
            var own = model.state_dict();
            Assert.Equal(own.Keys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
            foreach (var (name, p) in own) p.copy_(state[name]);
        }
        model.eval();
        return model;
    }

    /// <summary>len(tokenizer) from tokenizer.json (model ids and added ids), else the saved embedding's rows.</summary>
    private static int VocabularyRows(string folder, IReadOnlyDictionary<string, Tensor> adapter)
    {
        var file = Path.Combine(folder, "tokenizer.json");
        if (!File.Exists(file)) return (int)adapter[Prefix + "model.embed_tokens.weight"].shape[0];
        var root = JsonNode.Parse(File.ReadAllText(file))!;
        int modelIds = root["model"]!["vocab"]!.AsObject().Max(kv => kv.Value!.GetValue<int>()) + 1;
        int addedIds = (root["added_tokens"] as JsonArray ?? []).Select(t => t!["id"]!.GetValue<int>()).DefaultIfEmpty(-1).Max() + 1;
        return Math.Max(modelIds, addedIds);
    }
}
