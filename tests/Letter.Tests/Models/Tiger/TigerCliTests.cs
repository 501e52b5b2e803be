using Letter.Cli;

namespace Letter.Tests.Models.Tiger;

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
        Assert.Equal($"letter: {tmp.Path}: holds no trained model (expected config.json of a trained run, or the model folder of a pipeline run such as tiger/)\n", err.ToString().Replace("\r", ""));
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

    [Fact]
    public void Recommend_with_exclude_seen_returns_k_items_none_from_the_history_from_the_run_folder_alone()
    {
        using var tmp = new TempDir();
        var dataDir = TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 40, items: 12, length: 6);
        var data = Letter.Data.LetterDataset.Load(dataDir);
        var run = tmp.File("run");
        Letter.Models.Tiger.TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1, Beam = 3 }, run,
            options: new Letter.Models.Tiger.TigerTrainOptions { StopAfterSteps = 1 });
        Directory.Delete(dataDir, recursive: true); // --history needs only the run folder
        var output = new StringWriter();
        Assert.Equal(0, CliApp.Run(["recommend", run, "--history", "1,2,3,4,5,6,7,8", "--k", "4", "--exclude-seen", "--json"], output, new StringWriter()));
        using var json = System.Text.Json.JsonDocument.Parse(output.ToString());
        var items = json.RootElement.GetProperty("recommendations").EnumerateArray().Select(r => r.GetProperty("item").GetInt32()).ToList();
        // 4 items although the run's beam is 3 and 8 of the 12 items are excluded: only 4 remain
        Assert.Equal([0, 9, 10, 11], items.Order());

        var err = new StringWriter();
        Assert.Equal(2, CliApp.Run(["recommend", run, "--history", "1,99"], new StringWriter(), err));
        Assert.Contains("\"99\" is not an item id in [0, 12)", err.ToString());
    }
}
