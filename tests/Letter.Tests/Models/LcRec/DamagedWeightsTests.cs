using System.Buffers.Binary;
using System.Text;
using Letter.Formats;
using Letter.IO;
using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

/// <summary>
/// Damaged weight files end as one <see cref="LetterDataException"/> (the CLI's exit 2, one line) that
/// names the file, the tensor and the problem, never as an internal error.
/// </summary>
public sealed class DamagedWeightsTests
{
    private static string Safetensors(TempDir dir, string header, int dataBytes)
    {
        var path = dir.File("model.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData("""{"w": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}}""", "tensor \"w\": has dtype 7, which is not a dtype name")]
    [InlineData("""{"w": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}}""", "tensor \"w\": has dtype \"F99\", which safetensors does not define")]
    [InlineData("""{"w": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}""", "tensor \"w\": has dtype I64; Letter reads F32, F16 and BF16")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0.0, 4.0]}}""", "tensor \"w\": has data_offsets [0.0, 4.0], which are not two non-negative integers")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}""", "tensor \"w\": has shape [-1]: dimension 0 is not a non-negative integer")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}""", "tensor \"w\": has shape [1.5]: dimension 0 is not a non-negative integer")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}""", "tensor \"w\": has shape [4611686018427387904, 4], whose size in bytes overflows")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [99999999999999999999], "data_offsets": [0, 4]}}""", "tensor \"w\": has shape [99999999999999999999]: dimension 0 is not a non-negative integer")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}""", "tensor \"w\": appears twice in the header")]
    [InlineData("""{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}""", "tensor \"b\": overlaps tensor \"a\"")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}""", "tensor \"w\": has data_offsets [0, 4) for 8 bytes of shape [2]")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}}""", "tensor \"w\": ends at data byte 32, after the end of the file's data (16 bytes)")]
    [InlineData("""{"w": {"dtype": "F32", "shape": [1]}}""", "tensor \"w\": lacks dtype, shape or data_offsets")]
    [InlineData("""{"__metadata__": {"format": 1}}""", "__metadata__: is not an object of strings")]
    [InlineData("""{"w<\u0007>": {"dtype": 7, "shape": [1], "data_offsets": [0, 4]}}""", "tensor \"w<\\u0007>\": has dtype 7")]
    public void DamagedSafetensorsHeader_IsOneLineNamingTheFileAndTheTensor(string header, string expected)
    {
        using var dir = new TempDir();
        var path = Safetensors(dir, header, dataBytes: 16);
        var e = Assert.Throws<LetterDataException>(() => SafetensorsFile.Read(path));
        Assert.Equal(path, e.File);
        Assert.StartsWith($"{path}: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void DamagedSafetensors_InAModelFolder_IsRefusedByTheCheckpointLoader()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"architectures": ["LlamaForCausalLM"], "vocab_size": 4, "hidden_size": 4, "intermediate_size": 4, "num_hidden_layers": 1, "num_attention_heads": 1}""");
        var path = Safetensors(dir, """{"model.norm.weight": {"dtype": "F32", "shape": [-4], "data_offsets": [0, 16]}}""", 16);
        var e = Assert.Throws<LetterDataException>(() => LlmCheckpoint.Load(dir.Path));
        Assert.Equal(path, e.File);
    }

    private static GgufWriter Llama() => new GgufWriter().String("general.architecture", "llama");

    public static TheoryData<string, ulong[], uint, ulong, string> DamagedTensors => new()
    {
        { "offset beyond a long", [4], 0u, ulong.MaxValue - 31, "has data offset 18446744073709551584, beyond any file" },
        { "offset overflowing the end", [4], 0u, 0x7FFF_FFFF_FFFF_FFE0UL, "at offset 9223372036854775776, whose extent overflows" },
        { "dimensions overflowing", [1UL << 40, 1UL << 40], 0u, 0, "has dimensions [1099511627776, 1099511627776] at offset 0, whose extent overflows" },
        { "dimension beyond a long", [ulong.MaxValue], 0u, 0, "has dimension 0 of 18446744073709551615, beyond any file" },
        { "five dimensions", [1, 1, 1, 1, 1], 0u, 0, "has 5 dimensions; GGUF allows 1 to 4" },
        { "misaligned", [4], 0u, 4, "starts at data offset 4, not a multiple of the alignment 32" },
        { "truncated", [1024], 0u, 0, "ends at byte" },
        { "unknown type", [4], 99u, 0, "has GGUF type 99, which GGUF does not define" },
        { "quantised", [32], 2u, 0, "has GGUF type 2 (quantised); Letter reads f32, f16 and bf16 tensors" },
    };

    [Theory]
    [MemberData(nameof(DamagedTensors))]
    public void DamagedGgufTensor_IsOneLineNamingTheFileAndTheTensor(string what, ulong[] dims, uint type, ulong offset, string expected)
    {
        using var dir = new TempDir();
        var path = dir.File("model.gguf");
        Llama().Tensor("token_embd.weight", dims, type, offset).Write(path, dataBytes: 64);
        var e = Assert.Throws<LetterDataException>(() => LlmCheckpoint.Load(path));
        Assert.Equal(path, e.File);
        Assert.Contains("tensor \"token_embd.weight\": ", e.Message);
        Assert.True(e.Message.Contains(expected, StringComparison.Ordinal), $"{what}: {e.Message}");
    }

    [Fact]
    public void GgufDuplicates_AndBadAlignment_AreRefused()
    {
        using var dir = new TempDir();
        var path = dir.File("model.gguf");
        Llama().Tensor("a", [4], 0, 0).Tensor("a", [4], 0, 32).Write(path, 64);
        Assert.Contains("tensor \"a\": appears twice in the tensor list", Assert.Throws<LetterDataException>(() => GgufFile.Read(path)).Message);
        Llama().String("general.architecture", "llama").Write(path);
        Assert.Contains("\"general.architecture\": appears twice in the metadata", Assert.Throws<LetterDataException>(() => GgufFile.Read(path)).Message);
        Llama().UInt32("general.alignment", 24).Write(path);
        Assert.Contains("general.alignment: is 24; GGUF needs a power of two", Assert.Throws<LetterDataException>(() => GgufFile.Read(path)).Message);
        Llama().String("llama.block_count", "two").Write(path);
        var e = Assert.Throws<LetterDataException>(() => GgufCheckpoint.ReadConfig(GgufFile.Read(path)));
        Assert.Contains("llama.attention.head_count: is missing from the metadata", e.Message);
    }
}
