using Letter.Data;
using Letter.Formats;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

public sealed class LoraTests
{
    [Fact]
    public void ZeroB_LeavesLogitsUnchanged_AndNonzeroBChangesThem()
    {
        using var model = TinyLlm.Random(TinyLlm.Config(), 7);
        var ids = TinyLlm.Ids(8);
        var before = TinyLlm.Logits(model, ids);
        LoraAdapters.Apply(model, new LoraConfig(), seed: 1);
        model.eval();
        TinyLlm.Close(before, TinyLlm.Logits(model, ids), 0);
        Assert.Equal(14, model.Projections().Count(p => p.Layer.HasAdapter)); // 7 targets x 2 layers
        using (no_grad())
            foreach (var (_, layer) in model.Projections()) layer.LoraB!.weight!.normal_(0, 0.1);
        var changed = TinyLlm.Logits(model, ids);
        Assert.True(before.Zip(changed).Max(p => Math.Abs(p.First - p.Second)) > 1e-3);
    }

    [Fact]
    public void Adapter_IsAlphaOverRTimesBA()
    {
        // an independent reference for one projection: y = W x + (alpha / r) B A x
        var layer = new LoraLinear(6, 5, hasBias: false);
        using var g = new Generator().manual_seed(3);
        layer.AddAdapter(rank: 2, alpha: 8, dropout: 0.3, g);
        using (no_grad()) layer.LoraB!.weight!.normal_(0, 1);
        layer.eval();
        var x = randn(3, 6);
        using var noGrad = no_grad();
        var expected = x.matmul(layer.Weight.t()) + x.matmul(layer.LoraA!.weight!.t()).matmul(layer.LoraB!.weight!.t()) * 4.0;
        TinyLlm.Close(expected.data<float>().ToArray(), layer.call(x).data<float>().ToArray(), 1e-5);
        var merged = layer.call(x).data<float>().ToArray();
        layer.Merge();
        TinyLlm.Close(merged, layer.call(x).data<float>().ToArray(), 1e-5);
    }

    [Theory]
    [InlineData(EmbeddingTraining.All)]
    [InlineData(EmbeddingTraining.Frozen)]
    public void FrozenBase_OnlyLoraEmbeddingAndHeadGetGradients(EmbeddingTraining embeddings)
    {
        using var model = TinyLlm.Random(TinyLlm.Config(), 9);
        LoraAdapters.Apply(model, new LoraConfig { Embeddings = embeddings }, seed: 2);
        using (no_grad())
            foreach (var (_, layer) in model.Projections()) layer.LoraB!.weight!.normal_(0, 0.1); // so A gets a gradient too
        model.train();
        var ids = TinyLlm.Ids(10);
        var logits = model.Logits(ids);
        nn.functional.cross_entropy(logits.reshape(-1, 40), ids.reshape(-1)).backward();
        foreach (var (name, p) in model.named_parameters())
        {
            bool expected = LoraAdapters.IsAdapter(name) || (embeddings == EmbeddingTraining.All && LoraAdapters.IsSaved(name));
            bool has = p.grad is not null && p.grad.abs().sum().item<float>() > 0;
            Assert.True(expected == has, $"{name}: gradient {(has ? "present" : "absent")}");
        }
    }

    [Fact]
    public void PeftLayout_KeyNamesAndRoundTrip()
    {
        using var dir = new TempDir();
        var config = new LoraConfig();
        using var model = TinyLlm.Random(TinyLlm.Config(), 11);
        LoraAdapters.Apply(model, config, seed: 3);
        using (no_grad())
        {
            foreach (var (_, layer) in model.Projections()) layer.LoraB!.weight!.normal_(0, 0.1);
            model.EmbeddingWeight.add_(0.5); // the saved embedding must carry training's changes
        }
        model.eval();
        var ids = TinyLlm.Ids(12);
        var expected = TinyLlm.Logits(model, ids);
        LoraAdapters.Save(dir.Path, model, config, "tiny");

        var keys = SafetensorsFile.Read(dir.File(LoraAdapters.WeightsFile)).Keys.Order(StringComparer.Ordinal).ToList();
        Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", keys);
        Assert.Contains("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight", keys);
        Assert.Contains("base_model.model.model.embed_tokens.weight", keys);
        Assert.Contains("base_model.model.lm_head.weight", keys);
        Assert.Equal(2 * 14 + 2, keys.Count);
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.IO.File.ReadAllText(dir.File(LoraAdapters.ConfigFile)))!;
        Assert.Equal("LORA", json["peft_type"]!.GetValue<string>());
        Assert.Equal(8, json["r"]!.GetValue<int>());
        Assert.Equal(32, json["lora_alpha"]!.GetValue<double>());

        using var fresh = TinyLlm.Random(TinyLlm.Config(), 11);
        var read = LoraAdapters.ReadConfig(dir.Path);
        Assert.Equal(config.TargetModules, read.TargetModules);
        LoraAdapters.Apply(fresh, read, seed: 99);
        LoraAdapters.LoadWeights(dir.Path, fresh);
        fresh.eval();
        TinyLlm.Close(expected, TinyLlm.Logits(fresh, ids), 0);
        LoraAdapters.Merge(fresh);
        TinyLlm.Close(expected, TinyLlm.Logits(fresh, ids), 1e-5);
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void IdentifierTokens_WidenVocabulary_NewRowsFollowTheEmbeddingsStatistics()
    {
        using var checkpoint = LlmCheckpoint.Load(Stories.Path);
        var index = new ItemIndex([[0, 1, 2, 3], [255, 7, 9, 1]]);
        using var lc = LcRecModel.Create(checkpoint, index, seed: 4);
        var sizes = index.CodebookSizes();
        Assert.Equal(512 + sizes.Sum(), lc.Model.VocabularySize);
        Assert.Equal(512, lc.CodeTokens[0][0]);
        Assert.Equal(512 + 255, lc.CodeTokens[0][255]);
        Assert.Equal(new[] { lc.CodeTokens[0][0] }, lc.Tokenizer.Encode("<a_0>"));
        var prompt = lc.Tokenizer.Encode("<a_255><b_7>, <a_0>");
        Assert.Equal(lc.CodeTokens[0][255], prompt[0]);
        Assert.Equal(lc.CodeTokens[1][7], prompt[1]);
        Assert.Equal(lc.CodeTokens[0][0], prompt[^1]);
        Assert.Equal("<a_255><b_7>, <a_0>", lc.Tokenizer.Decode(prompt));
        using var noGrad = no_grad();
        var baseRows = checkpoint.Tensors["model.embed_tokens.weight"];
        var all = lc.Model.EmbeddingWeight;
        Assert.Equal(baseRows.data<float>().ToArray(), all.narrow(0, 0, 512).data<float>().ToArray());
        var fresh = all.narrow(0, 512, all.shape[0] - 512);
        // 256 + 8 + 10 + 4 new rows: their per-dimension mean and std follow the base rows' (loosely: a sample)
        double meanGap = (fresh.mean([0L]) - baseRows.mean([0L])).abs().mean().item<float>();
        double stdRatio = (fresh.std(0).mean() / baseRows.std(0).mean()).item<float>();
        Assert.True(meanGap < 0.2 * baseRows.std(0).mean().item<float>(), $"mean gap {meanGap}");
        Assert.InRange(stdRatio, 0.85, 1.15);
    }
}
