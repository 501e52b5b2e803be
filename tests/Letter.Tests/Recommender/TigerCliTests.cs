using Letter.Cli;

namespace Letter.Tests.Recommender;

public class TigerCliTests
{
    [Fact]
    public void Eval_of_a_folder_without_a_run_fails_with_one_line_and_exit_2()
    {
        using var tmp = new TempDir();
        var err = new StringWriter();
        int code = CliApp.Run(["eval", tmp.Path], new StringWriter(), err);
        Assert.Equal(2, code);
        Assert.Contains("config.json", err.ToString());
        Assert.Contains("not a TIGER run folder", err.ToString());
        Assert.Single(err.ToString().Trim().Split('\n'));
    }

    [Fact]
    public void Train_rejects_a_bad_temperature_and_a_bad_split_with_exit_2()
    {
        using var tmp = new TempDir();
        var data = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory));
        var err = new StringWriter();
        Assert.Equal(2, CliApp.Run(["train", data, "--out", tmp.File("run"), "--temperature", "0"], new StringWriter(), err));
        Assert.Contains("temperature must be positive", err.ToString());
        err = new StringWriter();
        Assert.Equal(2, CliApp.Run(["eval", tmp.Path, "--split", "train"], new StringWriter(), err));
        Assert.Contains("--split must be test or valid", err.ToString());
    }
}
