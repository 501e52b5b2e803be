using Letter.Formats;
using Letter.IO;
using Letter.Tests.Cli;

namespace Letter.Tests.Embeddings;

public class EmbedCommandTests
{

    [Fact]
    public void DatasetWithoutItemText_ExitsTwoWithOneLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        var r = CliRunner.Run("embed", dir.Path, "--out", dir.File("e.npy"));
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains("D.item.json", line);
        Assert.False(File.Exists(dir.File("e.npy")));
    }

    [Theory]
    [InlineData("--pooling", "max", "--pooling must be mean or cls")]
    [InlineData("--fields", "title,colour", "unknown item field 'colour'")]
    [InlineData("--onnx", "model.onnx", "give both the ONNX model and its vocabulary file")]
    public void BadOptions_ExitTwoWithOneLine(string option, string value, string message)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        var r = CliRunner.Run("embed", dir.Path, option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void Embed_WritesNpy_AndComparesWithAReference()
    {
        using var dir = new TempDir();
        TinyTextDataset.Write(dir.Path, "S", 12);
        var r = CliRunner.Run("embed", dir.Path);
        Assert.Equal(0, r.ExitCode);
        var m = NpyFile.Read(dir.File("S.emb-minilm.npy"));
        Assert.Equal((12, 384), (m.Rows, m.Cols));
        // The default output is not replaced silently.
        var again = CliRunner.Run("embed", dir.Path);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("--force", again.Stderr);
        var compared = CliRunner.Run("embed", dir.Path, "--out", dir.File("b.npy"), "--batch-size", "5", "--compare", dir.File("S.emb-minilm.npy"));
        Assert.Equal(0, compared.ExitCode);
        Assert.Contains("12 rows: min cosine 1.00000", compared.Stdout);
    }
}
