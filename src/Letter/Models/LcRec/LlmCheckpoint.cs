using Letter.Formats;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>A base language model as read from disk: config, tensors under Hugging Face's names, tokenizer.</summary>
public sealed class LlmCheckpoint : IDisposable
{
    private LlmCheckpoint(string source, LlamaConfig config, Dictionary<string, Tensor> tensors, LlmTokenizer? tokenizer)
    {
        Source = source;
        Config = config;
        Tensors = tensors;
        Tokenizer = tokenizer;
    }

    /// <summary>A checkpoint made in memory (benchmarks, tests).</summary>
    public static LlmCheckpoint FromTensors(string source, LlamaConfig config, Dictionary<string, Tensor> tensors, LlmTokenizer? tokenizer) =>
        new(source, config, tensors, tokenizer);

    public string Source { get; }
    public LlamaConfig Config { get; }
    public Dictionary<string, Tensor> Tensors { get; }
    /// <summary>The tokenizer stored with the model (null for a Hugging Face folder without tokenizer.json).</summary>
    public LlmTokenizer? Tokenizer { get; }

    /// <summary>
    /// Reads a GGUF file, or a Hugging Face folder: config.json, then model.safetensors or the shards
    /// that model.safetensors.index.json lists, and tokenizer.json when present.
    /// </summary>
    public static LlmCheckpoint Load(string path)
    {
        if (File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            var f = GgufFile.Read(path);
            var config = GgufCheckpoint.ReadConfig(f);
            return new LlmCheckpoint(path, config, GgufCheckpoint.ReadTensors(f, config), GgufCheckpoint.ReadTokenizer(f));
        }
        if (!Directory.Exists(path)) throw new LetterDataException(path, null, "is neither a GGUF file nor a Hugging Face model folder");
        var configFile = System.IO.Path.Combine(path, "config.json");
        if (!File.Exists(configFile)) throw new LetterDataException(configFile, null, "is missing: a Hugging Face model folder needs its config.json");
        var hfConfig = LlamaConfig.Load(configFile);
        var tensors = ReadSafetensorsFolder(path);
        var tokenizerFile = System.IO.Path.Combine(path, "tokenizer.json");
        var tokenizer = File.Exists(tokenizerFile) ? HfTokenizer.Load(tokenizerFile, hfConfig) : null;
        return new LlmCheckpoint(path, hfConfig, tensors, tokenizer);
    }

    /// <summary>model.safetensors, or every shard model.safetensors.index.json names (its weight_map checked against the shards).</summary>
    public static Dictionary<string, Tensor> ReadSafetensorsFolder(string folder)
    {
        var single = System.IO.Path.Combine(folder, "model.safetensors");
        var indexFile = System.IO.Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(indexFile))
        {
            JsonObject map;
            try
            {
                map = JsonNode.Parse(File.ReadAllText(indexFile))?["weight_map"] as JsonObject
                      ?? throw new LetterDataException(indexFile, null, "has no weight_map object");
            }
            catch (JsonException e)
            {
                throw new LetterDataException(indexFile, null, $"is not valid JSON ({e.Message})");
            }
            var result = new Dictionary<string, Tensor>();
            foreach (var shard in map.Select(kv => kv.Value!.GetValue<string>()).Distinct())
            {
                var shardPath = System.IO.Path.Combine(folder, shard);
                if (!File.Exists(shardPath)) throw new LetterDataException(indexFile, shard, "is listed in the weight_map but missing from the folder");
                foreach (var (name, t) in SafetensorsFile.Read(shardPath))
                {
                    if (map[name]?.GetValue<string>() != shard)
                        throw new LetterDataException(shardPath, $"tensor {name}", $"is not listed for this shard in {System.IO.Path.GetFileName(indexFile)}");
                    result[name] = t;
                }
            }
            foreach (var (name, shard) in map)
                if (!result.ContainsKey(name)) throw new LetterDataException(System.IO.Path.Combine(folder, shard!.GetValue<string>()), $"tensor {name}", "is listed in the weight_map but absent from the shard");
            return result;
        }
        if (File.Exists(single)) return SafetensorsFile.Read(single);
        throw new LetterDataException(folder, null, "holds neither model.safetensors nor model.safetensors.index.json");
    }

    /// <summary>
    /// Copies <paramref name="tensors"/> into a model's parameters by name, converting dtypes. Every
    /// parameter of the model must be present except LoRA adapters (and the embedding/head rows beyond
    /// the file's vocabulary: <paramref name="newRows"/> fills them); a tied model ignores lm_head.weight.
    /// </summary>
    /// <param name="newRows">fills rows [fileRows, V) of the embedding (and an untied head) given the file's rows; null: the sizes must match</param>
    public static void LoadInto(LlamaForCausalLM model, IReadOnlyDictionary<string, Tensor> tensors, string source, Func<Tensor, int, Tensor>? newRows = null)
    {
        using var noGrad = no_grad();
        var own = model.state_dict();
        foreach (var name in tensors.Keys)
        {
            if (own.ContainsKey(name)) continue;
            if (name == "lm_head.weight" && model.Config.TieWordEmbeddings) continue;
            if (name.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal)) continue; // older transformers saved it; it is recomputed
            throw new LetterDataException(source, $"tensor {name}", "is not a parameter of the model its config describes");
        }
        foreach (var (name, target) in own)
        {
            if (name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal)) continue;
            if (!tensors.TryGetValue(name, out var t))
                throw new LetterDataException(source, $"tensor {name}", "is missing");
            using var scope = NewDisposeScope();
            var value = t;
            bool vocabRows = name is "model.embed_tokens.weight" or "lm_head.weight";
            if (vocabRows && newRows is not null && t.shape[0] < target.shape[0] && t.shape[1] == target.shape[1])
                value = cat([t.to_type(ScalarType.Float32), newRows(t.to_type(ScalarType.Float32), (int)(target.shape[0] - t.shape[0]))], 0);
            if (!value.shape.SequenceEqual(target.shape))
                throw new LetterDataException(source, $"tensor {name}", $"has shape [{string.Join(", ", t.shape)}], the model needs [{string.Join(", ", target.shape)}]");
            target.copy_(value.to_type(target.dtype));
        }
    }

    /// <summary>
    /// Writes a model as a Hugging Face folder: config.json and model.safetensors, or shards of at most
    /// <paramref name="maxShardBytes"/> (model-00001-of-0000N.safetensors) with model.safetensors.index.json.
    /// LoRA matrices are not part of it (merge them first to keep their effect); a tied head writes no lm_head.weight.
    /// </summary>
    public static void Save(LlamaForCausalLM model, string folder, long? maxShardBytes = null)
    {
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(System.IO.Path.Combine(folder, "config.json"), model.Config.ToHfJson());
        var tensors = model.state_dict().Where(kv => !LoraAdapters.IsAdapter(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        if (maxShardBytes is not long limit)
        {
            SafetensorsFile.Write(System.IO.Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            return;
        }
        var shards = new List<List<KeyValuePair<string, Tensor>>> { new() };
        long size = 0;
        foreach (var kv in tensors)
        {
            long bytes = kv.Value.numel() * SafetensorsFile.ElementSize(kv.Value.dtype);
            if (size > 0 && size + bytes > limit)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add(kv);
            size += bytes;
        }
        var map = new JsonObject();
        long total = 0;
        for (int i = 0; i < shards.Count; i++)
        {
            string name = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsFile.Write(System.IO.Path.Combine(folder, name), shards[i], new Dictionary<string, string> { ["format"] = "pt" });
            foreach (var kv in shards[i])
            {
                map[kv.Key] = name;
                total += kv.Value.numel() * SafetensorsFile.ElementSize(kv.Value.dtype);
            }
        }
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = total }, ["weight_map"] = map };
        AtomicFile.WriteAllText(System.IO.Path.Combine(folder, "model.safetensors.index.json"), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public void Dispose()
    {
        foreach (var t in Tensors.Values) t.Dispose();
        Tensors.Clear();
    }
}
