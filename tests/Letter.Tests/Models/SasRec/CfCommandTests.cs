using Letter.Formats;
using Letter.IO;
using Letter.Tests.Cli;

namespace Letter.Tests.Models.SasRec;

public class CfCommandTests
{

    private static TempDir Dataset()
    {
        var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2, 3, 4], \"1\": [2, 3, 4, 0, 1], \"2\": [4, 3, 2, 1, 0]}");
        return dir;
    }

    [Theory]
    [InlineData("--loss", "hinge", "--loss must be ce or bce")]
    [InlineData("--dim", "30", "dim 30 must be divisible by heads 4")]
    [InlineData("--max-len", "0", "max length must be at least 1")]
    public void BadOptions_ExitTwoWithOneLine(string option, string value, string message)
    {
        using var dir = Dataset();
        var extra = option == "--dim" ? new[] { "--heads", "4" } : [];
        var r = CliRunner.Run(["cf", dir.Path, option, value, .. extra]);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, Assert.Single(r.ErrorLines));
    }

    [Fact]
    public void Cf_WritesEmbeddingsConfigAndMetrics()
    {
        using var dir = Dataset();
        var r = CliRunner.Run("cf", dir.Path, "--epochs", "2", "--dim", "8", "--eval", "--threads", "1");
        Assert.Equal(0, r.ExitCode);
        var m = NpyFile.Read(dir.File("D.cf-sasrec-8d.npy"));
        Assert.Equal((5, 8), (m.Rows, m.Cols));
        Assert.True(File.Exists(dir.File("D.cf-sasrec-8d.npy.json")));
        Assert.True(File.Exists(dir.File("D.cf-sasrec-8d.sasrec.bin")));
        Assert.Contains("recall@5  recall@10  ndcg@5  ndcg@10", r.Stdout);
        Assert.Contains("test ", r.Stdout);
    }

    [Fact]
    public void Import_ConvertsOfficialEmbeddings()
    {
        using var dir = Dataset();
        NpyFile.Write(dir.File("official.npy"), new FloatMatrix(new float[5 * 2], 5, 2));
        var r = CliRunner.Run("cf", dir.Path, "--import", dir.File("official.npy"), "--out", dir.File("cf.npy"));
        Assert.Equal(0, r.ExitCode);
        Assert.Equal((5, 2), (NpyFile.Read(dir.File("cf.npy")).Rows, NpyFile.Read(dir.File("cf.npy")).Cols));
        var bad = CliRunner.Run("cf", dir.Path, "--import", dir.File("missing.pt"), "--out", dir.File("cf2.npy"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("missing.pt", bad.Stderr);
    }
}
