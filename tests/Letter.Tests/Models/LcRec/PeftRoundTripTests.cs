using System.Text.Json.Nodes;
using Letter.Data;
using Letter.Training;
using Letter.Formats;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

/// <summary>
/// What Letter writes as an LC-Rec checkpoint, rebuilt the way PEFT rebuilds it (<see cref="PeftRebuild"/>),
/// gives the trainer's logits: an untied base with trained embedding and head, and stories260K (a tied
/// base) with frozen embeddings.
/// </summary>
public sealed class PeftRoundTripTests
{
    // a byte-level tokenizer.json of 19 tokens, BOS/EOS <|endoftext|>
    internal const string TokenizerJson = """
        {"version": "1.0", "truncation": null, "padding": null,
         "model": {"type": "BPE", "vocab": {"H": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "He": 8, "ll": 9, "Hell": 10,
                   "Hello": 11, "Ġw": 12, "or": 13, "Ġwor": 14, "Ġworl": 15, "Ġworld": 16, ",": 17},
                   "merges": ["H e", "l l", "He ll", "Hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"]},
         "added_tokens": [{"id": 18, "content": "<|endoftext|>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
         "normalizer": null,
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
         "post_processor": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": true},
         "decoder": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}}
        """;

    private static readonly ItemIndex Index = new([[0, 1, 2], [1, 0, 2], [2, 2, 1], [0, 2, 0]]);

    /// <summary>Stands in for training: every adapter, and the embedding and head when they train, moved off their initial values.</summary>
    private static void Perturb(LcRecModel lc, bool embeddings, int seed)
    {
        using var g = new Generator().manual_seed(seed);
        using var noGrad = no_grad();
        foreach (var (_, layer) in lc.Model.Projections())
        {
            layer.LoraA!.weight!.add_(randn(layer.LoraA.weight!.shape, generator: g) * 0.05);
            layer.LoraB!.weight!.copy_(randn(layer.LoraB.weight!.shape, generator: g) * 0.1);
        }
        if (!embeddings) return;
        lc.Model.EmbeddingWeight.add_(randn(lc.Model.EmbeddingWeight.shape, generator: g) * 0.1);
        if (!lc.Model.Config.TieWordEmbeddings) lc.Model.HeadWeight.add_(randn(lc.Model.HeadWeight.shape, generator: g) * 0.1);
    }

    private static float[] Logits(LlamaForCausalLM model, int[] tokens)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return model.Logits(tensor(tokens.Select(t => (long)t).ToArray()).view(1, -1)).to_type(ScalarType.Float32).data<float>().ToArray();
    }

    /// <summary>A Hugging Face folder of a random tiny model (tied or not) with the 19-token tokenizer.</summary>
    private static string TinyBase(TempDir dir, bool tied, int seed)
    {
        var folder = dir.File(tied ? "tied-base" : "base");
        using (var model = TinyLlm.Random(TinyLlm.Config(tied) with { VocabSize = 19, BosTokenId = 18, EosTokenId = 18 }, seed))
            LlmCheckpoint.Save(model, folder);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), TokenizerJson);
        return folder;
    }

    private static void AssertRebuildMatches(LcRecModel lc, string checkpoint, string baseModel, int[] sequence)
    {
        using var base_ = LlmCheckpoint.Load(baseModel);
        using var rebuilt = PeftRebuild.Build(checkpoint, base_.Config, base_.Tensors);
        Assert.Equal(lc.Model.VocabularySize, rebuilt.VocabularySize);
        // merged W + s B A against the unmerged adapters through 5 layers: float rounding only
        TinyLlm.Close(Logits(lc.Model, sequence), Logits(rebuilt, sequence), 5e-4, 1e-4);
    }

    private static List<string> SavedKeys(string checkpoint) =>
        SafetensorsFile.Read(Path.Combine(checkpoint, "adapter_model.safetensors")).Keys.ToList();

    [Fact]
    public void UntiedBase_TrainedEmbeddings_PeftRebuildGivesTheTrainersLogits()
    {
        using var dir = new TempDir();
        var baseFolder = TinyBase(dir, tied: false, seed: 21);
        var config = new LcRecConfig { Lora = new LoraConfig { Rank = 4, Alpha = 16, Dropout = 0 } };
        using var lc = LcRecTrainer.Build(baseFolder, Index, config);
        Perturb(lc, embeddings: true, seed: 5);
        lc.Model.eval();
        var checkpoint = dir.File("checkpoint");
        LcRecCheckpoint.Save(checkpoint, lc, config.Lora, baseFolder, new TrainerState(), null);

        // the files a Python user gets
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "adapter_config.json")))!;
        Assert.Equal(Path.GetFullPath(baseFolder), adapterConfig["base_model_name_or_path"]!.GetValue<string>());
        Assert.Equal(["embed_tokens", "lm_head"], adapterConfig["modules_to_save"]!.AsArray().Select(n => n!.GetValue<string>()));
        var tokenizer = HfTokenizer.Load(Path.Combine(checkpoint, "tokenizer.json"), new LlamaConfig());
        Assert.Equal(lc.Tokenizer.TokenId("<a_0>"), tokenizer.TokenId("<a_0>"));
        Assert.Equal(lc.Tokenizer.TokenId("<c_2>"), tokenizer.TokenId("<c_2>"));
        var prompt = lc.PromptTokens([0, 2, 1]);
        Assert.Equal(prompt, tokenizer.Encode(LcRecPrompt.Format(Index, [0, 2, 1]), addSpecialTokens: true));
        AssertRebuildMatches(lc, checkpoint, baseFolder, prompt.Concat(lc.ResponseTokens(3)).ToArray());
    }

    [Fact]
    public void TiedBase_FrozenEmbeddings_PeftRebuildGivesTheTrainersLogits()
    {
        using var dir = new TempDir();
        var baseFolder = TinyBase(dir, tied: true, seed: 22);
        var config = new LcRecConfig { Lora = new LoraConfig { Embeddings = EmbeddingTraining.Frozen, Rank = 2, Alpha = 8 } };
        using var lc = LcRecTrainer.Build(baseFolder, Index, config);
        Assert.True(lc.Model.Config.TieWordEmbeddings);
        Perturb(lc, embeddings: false, seed: 6);
        lc.Model.eval();
        var checkpoint = dir.File("checkpoint");
        LcRecCheckpoint.Save(checkpoint, lc, config.Lora, baseFolder, new TrainerState(), null);
        Assert.Null(JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "adapter_config.json")))!["modules_to_save"]);
        var keys = SavedKeys(checkpoint);
        Assert.Contains("base_model.model.model.embed_tokens.weight", keys); // the frozen identifier rows, as save_embedding_layers writes them
        Assert.DoesNotContain("base_model.model.lm_head.weight", keys);     // tied: the head follows the embedding PEFT loads
        AssertRebuildMatches(lc, checkpoint, baseFolder, lc.PromptTokens([1, 3]).Concat(lc.ResponseTokens(0)).ToArray());
    }

    [Fact]
    public void TiedBase_TrainedEmbeddings_HeadSavedEqualToTheEmbedding_AndReadBack()
    {
        using var dir = new TempDir();
        var baseFolder = TinyBase(dir, tied: true, seed: 23);
        var config = new LcRecConfig { Lora = new LoraConfig { Rank = 2, Alpha = 4 } };
        using var lc = LcRecTrainer.Build(baseFolder, Index, config);
        Perturb(lc, embeddings: true, seed: 7);
        lc.Model.eval();
        var checkpoint = dir.File("checkpoint");
        LcRecCheckpoint.Save(checkpoint, lc, config.Lora, baseFolder, new TrainerState(), null);
        var saved = SafetensorsFile.Read(Path.Combine(checkpoint, "adapter_model.safetensors"));
        Assert.True(saved["base_model.model.lm_head.weight"].eq(saved["base_model.model.model.embed_tokens.weight"]).all().item<bool>());
        var sequence = lc.PromptTokens([2]).Concat(lc.ResponseTokens(1)).ToArray();
        AssertRebuildMatches(lc, checkpoint, baseFolder, sequence);

        // Letter reads its own checkpoint back
        using var again = LcRecTrainer.Build(baseFolder, Index, config);
        LcRecCheckpoint.Load(checkpoint, again);
        again.Model.eval();
        TinyLlm.Close(Logits(lc.Model, sequence), Logits(again.Model, sequence), 1e-5);
    }

    [SharedDataFact("models", "stories260K", "stories260K.gguf")]
    public void Stories260K_FrozenEmbeddings_RsLora_PeftRebuildGivesTheTrainersLogits()
    {
        using var dir = new TempDir();
        var config = new LcRecConfig { Lora = new LoraConfig { Embeddings = EmbeddingTraining.Frozen, UseRsLora = true, Rank = 4, Alpha = 6 } };
        using var lc = LcRecTrainer.Build(Stories.Path, Index, config);
        Perturb(lc, embeddings: false, seed: 8);
        lc.Model.eval();
        var checkpoint = dir.File("checkpoint");
        LcRecCheckpoint.Save(checkpoint, lc, config.Lora with { BaseModelName = "karpathy/tinyllamas" }, Stories.Path, new TrainerState(), null);
        var adapterConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "adapter_config.json")))!;
        Assert.Equal("karpathy/tinyllamas", adapterConfig["base_model_name_or_path"]!.GetValue<string>());
        Assert.True(adapterConfig["use_rslora"]!.GetValue<bool>());
        var keys = SavedKeys(checkpoint);
        Assert.Contains("base_model.model.model.embed_tokens.weight", keys);
        Assert.Contains("base_model.model.lm_head.weight", keys); // stories260K's head is its own matrix
        var sequence = lc.PromptTokens([1, 3]).Concat(lc.ResponseTokens(0)).ToArray();
        AssertRebuildMatches(lc, checkpoint, Stories.Path, sequence);
        // the scale is alpha / sqrt(r) = 3, not alpha / r = 1.5: read as plain LoRA the logits are far off
        Assert.Equal(3.0, lc.Model.Projections().First().Layer.Scaling, 12);
        using var base_ = LlmCheckpoint.Load(Stories.Path);
        using var plain = PeftRebuild.Build(checkpoint, base_.Config, base_.Tensors, ignoreRsLora: true);
        Assert.True(Logits(lc.Model, sequence).Zip(Logits(plain, sequence)).Max(p => Math.Abs(p.First - p.Second)) > 0.05);
    }
}
