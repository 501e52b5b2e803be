using Letter.IO;
using Letter.Pipeline;

namespace Letter.Tests.Pipeline;

public class ConfigJsonTests
{
    public enum Loss { Ce, Bce }

    public sealed record Inner(int Epochs = 10, double Alpha = 0.02, int[]? Sizes = null, Loss Loss = Loss.Ce);

    public sealed record Outer(string Name = "x", int Seed = 42, Inner? Tokenizer = null)
    {
        public Inner Tokenizer { get; init; } = Tokenizer ?? new Inner();
    }

    [Fact]
    public void Load_NoFile_GivesDefaults()
    {
        var c = ConfigJson.Load(new Outer(), null);
        Assert.Equal(new Outer().Seed, c.Seed);
        Assert.Equal(10, c.Tokenizer.Epochs);
    }

    [Fact]
    public void Load_FileThenFlags_LaterWins()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{"seed": 7, "tokenizer": {"epochs": 3, "alpha": 0.5}}""");
        var c = ConfigJson.Load(new Outer(), dir.File("c.json"),
            [new("tokenizer.epochs", "9"), new("tokenizer.sizes", "256,128"), new("tokenizer.loss", "bce")]);
        Assert.Equal(7, c.Seed);
        Assert.Equal(9, c.Tokenizer.Epochs);
        Assert.Equal(0.5, c.Tokenizer.Alpha);
        Assert.Equal([256, 128], c.Tokenizer.Sizes!);
        Assert.Equal(Loss.Bce, c.Tokenizer.Loss);
    }

    [Fact]
    public void Load_UnknownKey_IsAnErrorNamingItsPath()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{"tokenizer": {"epoch": 3}}""");
        var e = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Outer(), dir.File("c.json")));
        Assert.StartsWith($"{dir.File("c.json")}: unknown key 'tokenizer.epoch' (known keys here: epochs, alpha, sizes, loss)", e.Message);
    }

    [Fact]
    public void Load_WrongType_IsAnErrorNamingThePath()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), """{"tokenizer": {"epochs": "many"}}""");
        var e = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Outer(), dir.File("c.json")));
        Assert.Contains("bad value at 'tokenizer.epochs'", e.Message);
    }

    [Fact]
    public void Load_BadFlag_NamesSettingAndValue()
    {
        var e = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Outer(), null, [new("tokenizer.epochs", "ten")]));
        Assert.StartsWith("setting 'tokenizer.epochs': 'ten' is not a valid integer", e.Message);
        var unknown = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Outer(), null, [new("tokenizer.nope", "1")]));
        Assert.Equal("unknown setting 'tokenizer.nope'", unknown.Message);
    }

    [Fact]
    public void Settings_FlattensNestedRecords()
    {
        var paths = ConfigJson.Settings(typeof(Outer), new Outer()).Select(s => s.Path).ToArray();
        Assert.Equal(["name", "seed", "tokenizer.epochs", "tokenizer.alpha", "tokenizer.sizes", "tokenizer.loss"], paths);
    }
}
