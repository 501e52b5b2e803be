using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Models.Tiger;
using Letter.Tests.Models.Tiger;

namespace Letter.Tests.Cli;

/// <summary>
/// Inputs refused where they enter: non-finite embeddings, outputs that cannot be written, an empty
/// history, a damaged checkpoint. Each ends with one line naming the problem and exit code 2, before
/// anything is written.
/// </summary>
public class RefusedInputTests
{
    private static void AssertOneLine(CliRunner.Result r, params string[] fragments)
    {
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("letter: ", line);
        foreach (var f in fragments) Assert.Contains(f, line);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    /// <summary>A tiny dataset with item text and 2-D embeddings, row i = item i.</summary>
    private static string Dataset(TempDir dir)
    {
        var folder = SyntheticDataset.Write(dir.File("data"), SynthOptions.Default with { Users = 120, Items = 60 });
        var rng = new Letter.Common.SplitMix64(3);
        NpyFile.Write(dir.File("sem.npy"), new FloatMatrix(Enumerable.Range(0, 60 * 8).Select(_ => (float)rng.NextDouble()).ToArray(), 60, 8));
        return folder.Directory;
    }

    [Fact]
    public void Tokenize_NonFiniteEmbedding_NamesFileRowAndColumn()
    {
        using var dir = new TempDir();
        var data = Dataset(dir);
        var m = NpyFile.Read(dir.File("sem.npy"));
        m.Data[5 * 8 + 3] = float.NaN;
        File.WriteAllBytes(dir.File("bad.npy"), NpyFile.Serialize(m));
        var r = CliRunner.Run("tokenize", data, "--semantic", dir.File("bad.npy"), "--mode", "rqvae", "--out", dir.File("tok"));
        AssertOneLine(r, $"{dir.File("bad.npy")}: row 5, column 3: value NaN is not a finite number");
        Assert.False(Directory.Exists(dir.File("tok")));
    }

    [Fact]
    public void OutputThatIsAFile_OrAFolderWhereAFileGoes_IsRefusedBeforeAnyWork()
    {
        using var dir = new TempDir();
        var data = Dataset(dir);
        File.WriteAllText(dir.File("taken"), "keep me");
        Directory.CreateDirectory(dir.File("folder.npy"));

        new ItemIndex(Enumerable.Range(0, 60).Select(i => new[] { i / 8, i % 8 }).ToArray()).Save(dir.File("index.json"));
        AssertOneLine(CliRunner.Run("train", data, "--index", dir.File("index.json"), "--out", dir.File("taken")),
            $"{dir.File("taken")}: is a file, but the run folder must be a folder");
        AssertOneLine(CliRunner.Run("train", data, "--index", dir.File("index.json"), "--out", Path.Combine(dir.File("taken"), "run")),
            $"cannot be the run folder: {dir.File("taken")} is a file, not a folder");
        AssertOneLine(CliRunner.Run("run", "--data", data, "--semantic", dir.File("sem.npy"), "--out", dir.File("taken")),
            $"{dir.File("taken")}: is a file, but the run folder must be a folder");
        AssertOneLine(CliRunner.Run("tokenize", data, "--semantic", dir.File("sem.npy"), "--mode", "rqvae", "--out", dir.File("taken")),
            $"{dir.File("taken")}: is a file, but the tokenizer's output folder must be a folder");
        AssertOneLine(CliRunner.Run("cf", data, "--out", dir.File("folder.npy")),
            $"{dir.File("folder.npy")}: is a folder, but the embedding file must be a file");
        AssertOneLine(CliRunner.Run("cf", data, "--import", dir.File("sem.npy"), "--out", dir.File("folder.npy")),
            $"{dir.File("folder.npy")}: is a folder, but the embedding file must be a file");
        AssertOneLine(CliRunner.Run("embed", data, "--out", dir.File("folder.npy")),
            $"{dir.File("folder.npy")}: is a folder, but the embedding file must be a file");
        Assert.Equal("keep me", File.ReadAllText(dir.File("taken")));
        Assert.Empty(Directory.GetFileSystemEntries(dir.File("folder.npy")));
        Assert.Empty(Directory.GetFiles(dir.Path, ".*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void EmptyHistory_AndDamagedCheckpoints_AreOneLineErrors()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 30));
        var run = new TigerRunFolder(tmp.File("run"));
        TigerTrainer.Train(data, data.Index!, TinyTiger.Config() with { Epochs = 1, BatchSize = 16 }, run.Directory);

        AssertOneLine(CliRunner.Run("recommend", run.Directory, "--history", ""), "--history is empty");
        AssertOneLine(CliRunner.Run("recommend", run.Directory, "--history", " , "), "--history is empty");
        var ok = CliRunner.Run("recommend", run.Directory, "--history", "1,2", "--json");
        Assert.Equal(0, ok.ExitCode);

        var bytes = File.ReadAllBytes(run.BestCheckpoint);
        File.WriteAllBytes(run.BestCheckpoint, bytes[..(bytes.Length / 2)]);
        AssertOneLine(CliRunner.Run("recommend", run.Directory, "--history", "1,2"), $"{run.BestCheckpoint}: is truncated");
        AssertOneLine(CliRunner.Run("eval", run.Directory), $"{run.BestCheckpoint}: is truncated");
        File.WriteAllBytes(run.BestCheckpoint, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        AssertOneLine(CliRunner.Run("eval", run.Directory), run.BestCheckpoint);
        Assert.False(File.Exists(run.MetricsFile));
    }

    /// <summary>Every cut of a checkpoint, and garbage after a valid start, is a data error naming the file: never an internal error.</summary>
    [Fact]
    public void DamagedCheckpoint_AtAnyPoint_IsADataErrorNamingTheFile()
    {
        using var tmp = new TempDir();
        var data = LetterDataset.Load(TinyTiger.WriteRuleDataset(tmp.File("data").Also(Directory.CreateDirectory), users: 20));
        var config = TinyTiger.Config() with { Epochs = 1, BatchSize = 16 };
        var run = new TigerRunFolder(tmp.File("run"));
        TigerTrainer.Train(data, data.Index!, config, run.Directory, options: new TigerTrainOptions { StopAfterSteps = 1 });
        var bytes = File.ReadAllBytes(run.LastCheckpoint);
        var damaged = tmp.File("damaged.ckpt");
        var vocabulary = TigerVocabulary.For(data.Index!).Size;
        var rng = new Letter.Common.SplitMix64(11);
        for (int k = 0; k < 40; k++)
        {
            int cut = (int)((long)bytes.Length * k / 40);
            var copy = bytes[..cut];
            if (k % 2 == 1) copy = [.. copy, .. Enumerable.Range(0, 64).Select(_ => (byte)rng.Next(256))];
            File.WriteAllBytes(damaged, copy);
            using var model = new TigerModel(config, vocabulary);
            var optimizer = TigerOptimizer.Create(model, config);
            var e = Assert.Throws<LetterDataException>(() => TigerCheckpoint.Load(damaged, model, optimizer));
            Assert.Equal(damaged, e.File);
        }
    }
}
