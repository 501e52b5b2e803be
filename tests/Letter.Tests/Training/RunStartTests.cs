using Letter.Data;
using Letter.IO;
using Letter.Kinds;
using Letter.Models.Tiger;
using Letter.Runs;
using Letter.Tests.Models.Tiger;
using Letter.Training;

namespace Letter.Tests.Training;

/// <summary>The start-of-run checks every kind's training makes (<see cref="RunStart"/>), in their one wording.</summary>
public class RunStartTests
{
    private sealed record Recorded(string IndexSha256) : IRunIndexRecord;

    private static Recorded NotRead() => throw new InvalidOperationException("a new run must not read a record");

    private static (LetterDataset Data, RunFolder Run) Setup(TempDir tmp)
    {
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 20, items: 12, length: 5));
        return (data, new RunFolder(tmp.File("run")));
    }

    /// <summary>A run folder as a started run leaves it: its record and its last checkpoint (a file, or a folder for LC-Rec's adapters).</summary>
    private static void HoldRun(RunFolder run, bool checkpointFolder)
    {
        Directory.CreateDirectory(run.CheckpointDirectory);
        File.WriteAllText(run.ConfigFile, "{}");
        var last = Path.Combine(run.CheckpointDirectory, "last");
        if (checkpointFolder) Directory.CreateDirectory(last);
        else File.WriteAllText(last, "weights");
    }

    [Fact]
    public void NewRun_ReturnsNoRecord_AndTheHashOfTheIndexFile_OrOfItsJson()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        var (resumed, hash) = RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, data.Index!, TinyTiger.Config(), new TrainOptions());
        Assert.Null(resumed);
        Assert.Equal(FileHash.Sha256Text(data.Index!.ToJson()), hash);

        // resuming a folder without a record starts a new run
        var file = data.Folder.IndexFile;
        (resumed, hash) = RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, data.Index!, TinyTiger.Config(),
            new TrainOptions { Resume = true, IndexFile = file });
        Assert.Null(resumed);
        Assert.Equal(FileHash.Sha256(file), hash);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewRun_InAFolderThatHoldsARun_IsRefused_WhateverTheCheckpointIs(bool checkpointFolder)
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        HoldRun(run, checkpointFolder);
        var e = Assert.Throws<ArgumentException>(() =>
            RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, data.Index!, TinyTiger.Config(), new TrainOptions()));
        Assert.Equal($"{run.Directory} already holds a run: resume it or choose another run folder", e.Message);
    }

    [Fact]
    public void NewRun_InAFolderWithARecordButNoCheckpointYet_StartsAgain()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        Directory.CreateDirectory(run.Directory);
        File.WriteAllText(run.ConfigFile, "{}");
        var (resumed, _) = RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, data.Index!, TinyTiger.Config(), new TrainOptions());
        Assert.Null(resumed);
    }

    [Fact]
    public void NewRun_ValidatesTheConfig_AResumedOneTakesItsRecordsConfigUnchecked()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        var invalid = TinyTiger.Config() with { Epochs = 0 };
        var e = Assert.Throws<ArgumentException>(() =>
            RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, data.Index!, invalid, new TrainOptions()));
        Assert.Equal("epochs must be positive (got 0)", e.Message);

        HoldRun(run, checkpointFolder: false);
        var record = new Recorded(FileHash.Sha256Text(data.Index!.ToJson()));
        var (resumed, hash) = RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), () => record, data, data.Index!, invalid,
            new TrainOptions { Resume = true });
        Assert.Same(record, resumed);
        Assert.Equal(record.IndexSha256, hash);
    }

    [Fact]
    public void Resume_WithAnotherIndex_IsRefused_NamingTheIndexAndTheOneTheRunStartedWith()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        HoldRun(run, checkpointFolder: false);
        var recorded = new Recorded("0123456789abcdef" + new string('0', 48));
        var e = Assert.Throws<LetterDataException>(() => RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), () => recorded,
            data, data.Index!, TinyTiger.Config(), new TrainOptions { Resume = true, IndexFile = data.Folder.IndexFile }));
        Assert.Equal($"{data.Folder.IndexFile}: differs from the index the run in {run.Directory} was started with (SHA-256 0123456789ab...)", e.Message);

        // without an index file, the run's own copy is named
        e = Assert.Throws<LetterDataException>(() => RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), () => recorded,
            data, data.Index!, TinyTiger.Config(), new TrainOptions { Resume = true }));
        Assert.Equal(run.IndexFile, e.File);
    }

    [Fact]
    public void AnIndexOfAnotherItemCount_IsRefusedFirst()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        var other = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("other").Also(Directory.CreateDirectory), users: 20, items: 10, length: 5));
        var e = Assert.Throws<LetterDataException>(() =>
            RunStart.Check(run, Path.Combine(run.CheckpointDirectory, "last"), NotRead, data, other.Index!, TinyTiger.Config(), new TrainOptions()));
        Assert.Equal("index: has identifiers for 10 items, the dataset has 12", e.Message);
    }

    [Fact]
    public void EveryKind_RefusesAFolderThatHoldsARun_InTheOneWording()
    {
        using var tmp = new TempDir();
        var (data, run) = Setup(tmp);
        // TIGER's and stub-bag's last checkpoint is a file, LC-Rec's a folder of adapters
        HoldRun(run, checkpointFolder: true);
        File.WriteAllText(Path.Combine(run.CheckpointDirectory, "last.ckpt"), "weights");
        foreach (var kind in KindRegistry.Default.All)
        {
            var e = Assert.Throws<ArgumentException>(() => kind.Train(new KindTrainRequest
            {
                Data = data, Index = data.Index!, Config = kind.DefaultConfig, RunDirectory = run.Directory,
                Options = new Dictionary<string, string> { ["base"] = tmp.File("no-model.gguf") },
            }));
            Assert.Equal($"{run.Directory} already holds a run: resume it or choose another run folder", e.Message);
        }
    }
}
