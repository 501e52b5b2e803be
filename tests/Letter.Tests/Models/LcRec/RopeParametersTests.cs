using Letter.IO;
using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

/// <summary>transformers v5 writes rotary settings as rope_parameters: the default type is read, the others refused by name.</summary>
public sealed class RopeParametersTests
{
    private const string Base = """{"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "rope_theta": 10000.0, """;

    [Fact]
    public void DefaultRopeParameters_GiveTheta()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), Base + "\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 500000.0}}");
        Assert.Equal(500000.0, LlamaConfig.Load(dir.File("config.json")).RopeTheta);
        File.WriteAllText(dir.File("config.json"), Base + "\"rope_scaling\": null}");
        Assert.Equal(10000.0, LlamaConfig.Load(dir.File("config.json")).RopeTheta);
    }

    [Theory]
    [InlineData("""{"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0}""", "rope_parameters.rope_type", "is \"llama3\"; Letter implements only the default rotary embedding")]
    [InlineData("""{"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}""", "rope_parameters.partial_rotary_factor", "is 0.5")]
    [InlineData("""{"full_attention": {"rope_type": "default", "rope_theta": 1e6}, "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}}""", "rope_parameters", "holds parameters per layer type (full_attention, sliding_attention)")]
    [InlineData("""{"rope_type": "default", "rope_theta": -1}""", "rope_parameters.rope_theta", "is not a positive number")]
    public void OtherRopeParameters_AreRefusedByName(string parameters, string field, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), Base + $"\"rope_parameters\": {parameters}}}");
        var e = Assert.Throws<LetterDataException>(() => LlamaConfig.Load(dir.File("config.json")));
        Assert.Equal(field, e.Record);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AFieldOfTheWrongType_IsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("config.json"), """{"architectures": ["LlamaForCausalLM"], "hidden_size": "sixty-four"}""");
        var e = Assert.Throws<LetterDataException>(() => LlamaConfig.Load(dir.File("config.json")));
        Assert.Equal("hidden_size", e.Record);
    }
}
