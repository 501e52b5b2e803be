using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Cli;

/// <summary>Every shared train flag reaches every kind; a kind's own flag given to another kind is refused, not dropped.</summary>
public class TrainFlagTests
{
    [Theory]
    [InlineData("tiger", "--base", "x.gguf", "letter: --base is an option of --recommender lc-rec, not of tiger")]
    [InlineData("lc-rec", "--dropout", "0.2", "letter: --dropout is an option of --recommender tiger, not of lc-rec")]
    [InlineData("lc-rec", "--bf16", null, "letter: --bf16 is an option of --recommender tiger, not of lc-rec")]
    [InlineData("lc-rec", "--init-from", "other", "letter: --init-from is not supported by lc-rec runs (they start from their base model)")]
    public void AnotherKindsFlag_IsRefused_WithExit2(string kind, string flag, string? value, string message)
    {
        using var dir = new TempDir();
        TinyTiger.WriteRuleDataset(dir.Path, users: 10, items: 12, length: 5);
        var args = new List<string> { "train", dir.Path, "--out", dir.File("run"), "--recommender", kind, flag };
        if (value is not null) args.Add(value);
        var r = CliRunner.Run([.. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(message, Assert.Single(r.ErrorLines).TrimEnd('\r'));
        Assert.False(Directory.Exists(dir.File("run")));
    }
}
