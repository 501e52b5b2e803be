using System.Text.Json.Nodes;
using Letter.Formats;
using Letter.IO;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

/// <summary>Adapters written by PEFT (its key names, its config fields) read here, or refused by field.</summary>
public sealed class PeftAdapterReadingTests
{
    // adapter_config.json as PEFT 0.17 writes it for LoraConfig(r=4, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "v_proj"])
    private const string PeftConfig = """
        {"alpha_pattern": {}, "auto_mapping": null, "base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M", "bias": "none", "corda_config": null,
         "eva_config": null, "exclude_modules": null, "fan_in_fan_out": false, "inference_mode": true, "init_lora_weights": true,
         "layer_replication": null, "layers_pattern": null, "layers_to_transform": null, "loftq_config": {}, "lora_alpha": 8, "lora_bias": false,
         "lora_dropout": 0.05, "megatron_config": null, "megatron_core": "megatron.core", "modules_to_save": null, "peft_type": "LORA",
         "qalora_group_size": 16, "r": 4, "rank_pattern": {}, "revision": null, "target_modules": ["v_proj", "q_proj"], "target_parameters": null,
         "task_type": "CAUSAL_LM", "trainable_token_indices": null, "use_dora": false, "use_qalora": false, "use_rslora": true}
        """;

    /// <summary>Writes a PEFT adapter for a tiny model: random A and B per target under keys with the adapter name.</summary>
    private static Dictionary<string, (Tensor A, Tensor B)> WritePeftAdapter(string folder, LlamaForCausalLM model, string config, string[] targets, int rank)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, LoraAdapters.ConfigFile), config);
        using var g = new Generator().manual_seed(17);
        var adapters = new Dictionary<string, (Tensor, Tensor)>();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, layer) in model.Projections().Where(p => targets.Any(t => p.Name.EndsWith("." + t, StringComparison.Ordinal))))
        {
            var a = randn([rank, layer.InFeatures], generator: g) * 0.3;
            var b = randn([layer.OutFeatures, rank], generator: g) * 0.3;
            adapters[name] = (a, b);
            tensors.Add(KeyValuePair.Create($"base_model.model.{name}.lora_A.default.weight", a));
            tensors.Add(KeyValuePair.Create($"base_model.model.{name}.lora_B.default.weight", b));
        }
        SafetensorsFile.Write(Path.Combine(folder, LoraAdapters.WeightsFile), tensors);
        return adapters;
    }

    [Fact]
    public void PeftLayout_WithAdapterNameInKeys_AndRsLora_LoadsWithScaleAlphaOverSqrtR()
    {
        using var dir = new TempDir();
        var config = TinyLlm.Config();
        using var reference = TinyLlm.Random(config, 31);
        var adapters = WritePeftAdapter(dir.Path, reference, PeftConfig, ["q_proj", "v_proj"], rank: 4);
        Assert.Equal(4, adapters.Count); // q and v of 2 layers

        var read = LoraAdapters.ReadConfig(dir.Path);
        Assert.True(read.UseRsLora);
        Assert.Equal((4, 8.0, 0.05), (read.Rank, read.Alpha, read.Dropout));
        Assert.Equal(EmbeddingTraining.Frozen, read.Embeddings);
        using var loaded = TinyLlm.Random(config, 31);
        LoraAdapters.Apply(loaded, read, seed: 5);
        LoraAdapters.LoadWeights(dir.Path, loaded);
        loaded.eval();
        Assert.All(loaded.Projections().Where(p => p.Layer.HasAdapter), p => Assert.Equal(4.0, p.Layer.Scaling, 12)); // 8 / sqrt(4), not 8 / 4

        // by hand: W + 4 B A in the reference model's projections
        using (no_grad())
            foreach (var (name, layer) in reference.Projections())
                if (adapters.TryGetValue(name, out var ab)) layer.Weight.add_(ab.B.matmul(ab.A) * 4.0);
        var ids = TinyLlm.Ids(3);
        TinyLlm.Close(TinyLlm.Logits(reference, ids), TinyLlm.Logits(loaded, ids), 1e-5, 1e-5);
    }

    [Fact]
    public void AllLinear_TargetsEveryProjection_AndAMissingMatrixIsNamed()
    {
        using var dir = new TempDir();
        using var model = TinyLlm.Random(TinyLlm.Config(), 32);
        var json = JsonNode.Parse(PeftConfig)!.AsObject();
        json["target_modules"] = "all-linear";
        WritePeftAdapter(dir.Path, model, json.ToJsonString(), ["q_proj"], rank: 4); // weights for q_proj only
        var read = LoraAdapters.ReadConfig(dir.Path);
        Assert.Equal(LoraAdapters.Projections, read.TargetModules);
        LoraAdapters.Apply(model, read, seed: 1);
        Assert.Equal(14, model.Projections().Count(p => p.Layer.HasAdapter));
        var e = Assert.Throws<LetterDataException>(() => LoraAdapters.LoadWeights(dir.Path, model));
        Assert.Equal(Path.Combine(dir.Path, LoraAdapters.WeightsFile), e.File);
        Assert.Contains(".lora_A.weight: is missing", e.Message);
    }

    [Theory]
    [InlineData("use_dora", "true", "DoRA")]
    [InlineData("alpha_pattern", """{"q_proj": 16}""", "a per-module alpha")]
    [InlineData("rank_pattern", """{"v_proj": 2}""", "a per-module rank")]
    [InlineData("fan_in_fan_out", "true", "transposed (Conv1D) weights")]
    [InlineData("bias", "\"lora_only\"", "trained biases")]
    [InlineData("layers_to_transform", "[0]", "adapters on some layers only")]
    [InlineData("trainable_token_indices", "[5, 6]", "trainable token rows")]
    [InlineData("some_future_field", "3", "a LoraConfig field Letter does not know")]
    public void LoraConfigFieldsThatChangeTheModel_AreRefusedByName(string field, string value, string what)
    {
        using var dir = new TempDir();
        var json = JsonNode.Parse(PeftConfig)!.AsObject();
        json[field] = JsonNode.Parse(value);
        Directory.CreateDirectory(dir.Path);
        File.WriteAllText(dir.File(LoraAdapters.ConfigFile), json.ToJsonString());
        var e = Assert.Throws<LetterDataException>(() => LoraAdapters.ReadConfig(dir.Path));
        Assert.Equal(dir.File(LoraAdapters.ConfigFile), e.File);
        Assert.Equal(field, e.Record);
        Assert.Contains(what, e.Message);
        Assert.EndsWith("which Letter does not implement", e.Message);
    }

    [Theory]
    [InlineData("\".*\\\\.(q|v)_proj\"", "is the regular expression")]
    [InlineData("[\"q_proj\", \"lm_head\"]", "names \"lm_head\"; Letter puts LoRA on")]
    public void TargetModulesLetterCannotPlace_AreRefused(string targets, string expected)
    {
        using var dir = new TempDir();
        var json = JsonNode.Parse(PeftConfig)!.AsObject();
        json["target_modules"] = JsonNode.Parse(targets);
        File.WriteAllText(dir.File(LoraAdapters.ConfigFile), json.ToJsonString());
        var e = Assert.Throws<LetterDataException>(() => LoraAdapters.ReadConfig(dir.Path));
        Assert.Equal("target_modules", e.Record);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ModulesToSaveWrapperKeys_AreReadAsTheEmbedding()
    {
        Assert.Equal("model.embed_tokens.weight", LoraAdapters.ParameterName("base_model.model.model.embed_tokens.modules_to_save.default.weight"));
        Assert.Equal("model.layers.3.mlp.up_proj.lora_B.weight", LoraAdapters.ParameterName("base_model.model.model.layers.3.mlp.up_proj.lora_B.my_task.weight"));
        Assert.Equal("lm_head.weight", LoraAdapters.ParameterName("base_model.model.lm_head.weight"));
    }
}
