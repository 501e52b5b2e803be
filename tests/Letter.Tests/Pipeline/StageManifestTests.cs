using Letter.Pipeline;

namespace Letter.Tests.Pipeline;

public class StageManifestTests
{
    [Fact]
    public void WhyRerun_TracksSettingsInputsAndOutputs()
    {
        using var dir = new TempDir();
        var stage = Path.Combine(dir.Path, "tokenizer");
        Directory.CreateDirectory(stage);
        File.WriteAllText(dir.File("in.npy"), "abc");
        File.WriteAllText(Path.Combine(stage, "out.json"), "{}");
        var inputs = new Dictionary<string, string> { ["semantic"] = dir.File("in.npy") };

        Assert.Equal("not finished", StageManifest.WhyRerun(stage, "{\"a\":1}", inputs));
        StageManifest.Write(stage, "tokenizer", "{\"a\":1}", inputs, ["out.json"], TimeSpan.FromSeconds(2));
        Assert.Null(StageManifest.WhyRerun(stage, "{\"a\":1}", inputs));
        Assert.Equal("settings changed", StageManifest.WhyRerun(stage, "{\"a\":2}", inputs));

        File.WriteAllText(dir.File("in.npy"), "abd");
        Assert.Equal("input 'semantic' changed", StageManifest.WhyRerun(stage, "{\"a\":1}", inputs));
        File.WriteAllText(dir.File("in.npy"), "abc");
        File.Delete(Path.Combine(stage, "out.json"));
        Assert.Equal("output out.json is missing", StageManifest.WhyRerun(stage, "{\"a\":1}", inputs));
        Assert.Equal("not run yet", StageManifest.WhyRerun(Path.Combine(dir.Path, "other"), "{}", inputs));
    }
}
