using Letter.Formats;
using System.Text.Json.Nodes;
using Letter.IO;
using TorchSharp;
using Letter.Models.LcRec;
using static TorchSharp.torch;

namespace Letter.Tests.Models.LcRec;

public sealed class LlmWeightsTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void SafetensorsRoundTrip_SameLogits(bool bf16, bool qwen2)
    {
        using var dir = new TempDir();
        var config = TinyLlm.Config(arch: qwen2 ? LlmArchitecture.Qwen2 : LlmArchitecture.Llama);
        using var model = TinyLlm.Random(config, 3);
        if (bf16) model.to(ScalarType.BFloat16);
        var ids = TinyLlm.Ids(4);
        var expected = TinyLlm.Logits(model, ids);
        LlmCheckpoint.Save(model, dir.Path);
        using var read = LlmCheckpoint.Load(dir.Path);
        Assert.Equal(config, read.Config);
        Assert.All(read.Tensors.Values, t => Assert.Equal(bf16 ? ScalarType.BFloat16 : ScalarType.Float32, t.dtype));
        using var loaded = new LlamaForCausalLM(read.Config);
        if (bf16) loaded.to(ScalarType.BFloat16);
        LlmCheckpoint.LoadInto(loaded, read.Tensors, read.Source);
        loaded.eval();
        TinyLlm.Close(expected, TinyLlm.Logits(loaded, ids), 0); // bit for bit: the same weights, the same products
    }

    [Fact]
    public void SafetensorsFile_MatchesTheFormatByteForByte()
    {
        // an independent reference: the bytes the format specifies for {"a": F32 [2] = [1, -2], "b": BF16 [1] = [1.5]}
        using var dir = new TempDir();
        var path = dir.File("x.safetensors");
        SafetensorsFile.Write(path, [KeyValuePair.Create("b", tensor(new[] { 1.5f }).to_type(ScalarType.BFloat16)), KeyValuePair.Create("a", tensor(new[] { 1f, -2f }))]);
        var bytes = System.IO.File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        var header = System.Text.Encoding.UTF8.GetString(bytes, 8, (int)headerLength).TrimEnd(' ');
        Assert.Equal("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[8,10]}}", header);
        var data = bytes[(8 + (int)headerLength)..];
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F, 0, 0, 0, 0xC0, 0xC0, 0x3F }, data);
        var read = SafetensorsFile.Read(path);
        Assert.Equal(new[] { 1f, -2f }, read["a"].data<float>().ToArray());
        Assert.Equal(1.5f, read["b"].to_type(ScalarType.Float32).item<float>());
    }

    [Fact]
    public void ShardedFolderWithTiedHead_Loads()
    {
        using var dir = new TempDir();
        var config = TinyLlm.Config(tied: true);
        using var model = TinyLlm.Random(config, 5);
        var ids = TinyLlm.Ids(6);
        var expected = TinyLlm.Logits(model, ids);
        LlmCheckpoint.Save(model, dir.Path, maxShardBytes: 8_000);
        var shards = Directory.GetFiles(dir.Path, "model-*-of-*.safetensors");
        Assert.True(shards.Length >= 3, $"{shards.Length} shards");
        var map = JsonNode.Parse(System.IO.File.ReadAllText(dir.File("model.safetensors.index.json")))!["weight_map"]!.AsObject();
        Assert.DoesNotContain("lm_head.weight", map.Select(kv => kv.Key));
        using var read = LlmCheckpoint.Load(dir.Path);
        Assert.True(read.Config.TieWordEmbeddings);
        using var loaded = new LlamaForCausalLM(read.Config);
        LlmCheckpoint.LoadInto(loaded, read.Tensors, read.Source);
        loaded.eval();
        TinyLlm.Close(expected, TinyLlm.Logits(loaded, ids), 0);
    }

    [Fact]
    public void DamagedFiles_NameTheFileAndTheProblem()
    {
        using var dir = new TempDir();
        using var model = TinyLlm.Random(TinyLlm.Config(), 1);
        LlmCheckpoint.Save(model, dir.Path);
        var file = dir.File("model.safetensors");
        var bytes = System.IO.File.ReadAllBytes(file);
        System.IO.File.WriteAllBytes(file, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<LetterDataException>(() => LlmCheckpoint.Load(dir.Path));
        Assert.Equal(file, e.File);
        Assert.Contains("truncated", e.Problem);

        var gguf = dir.File("bad.gguf");
        System.IO.File.WriteAllBytes(gguf, "GGUF\u0003\0\0\0"u8.ToArray());
        var g = Assert.Throws<LetterDataException>(() => LlmCheckpoint.Load(gguf));
        Assert.Equal(gguf, g.File);
        Assert.Contains("truncated", g.Problem);
    }

    [Fact]
    public void HfConfig_ReadsQwen2AndRejectsRopeScaling()
    {
        using var dir = new TempDir();
        System.IO.File.WriteAllText(dir.File("config.json"), """
            {"architectures": ["Qwen2ForCausalLM"], "vocab_size": 151936, "hidden_size": 896, "intermediate_size": 4864,
             "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2, "rms_norm_eps": 1e-06,
             "rope_theta": 1000000.0, "tie_word_embeddings": true, "bos_token_id": 151643, "eos_token_id": 151645, "max_position_embeddings": 32768}
            """);
        var c = LlamaConfig.Load(dir.File("config.json"));
        Assert.Equal((LlmArchitecture.Qwen2, 64, 2, 1_000_000.0, true, true), (c.Architecture, c.Dh, c.NumKeyValueHeads, c.RopeTheta, c.TieWordEmbeddings, c.AttentionBias));
        System.IO.File.WriteAllText(dir.File("config.json"), """{"architectures": ["LlamaForCausalLM"], "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}""");
        var e = Assert.Throws<LetterDataException>(() => LlamaConfig.Load(dir.File("config.json")));
        Assert.Contains("llama3", e.Message);
    }
}
