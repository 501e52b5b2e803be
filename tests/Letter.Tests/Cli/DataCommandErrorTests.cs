using Letter.Formats;
using Letter.IO;

namespace Letter.Tests.Cli;

/// <summary>Bad input ends with exit code 2 and one line that names the file, the record and the problem.</summary>
public class DataCommandErrorTests
{
    private static CliRunner.Result Stats(TempDir dir) => CliRunner.Run("data", "stats", dir.Path);

    private static void AssertOneLine(CliRunner.Result r, params string[] fragments)
    {
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.StartsWith("letter: ", line);
        foreach (var f in fragments) Assert.Contains(f, line);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void TruncatedJson_NamesFileAndSaysTruncated()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2], \"1\": [1, 2");
        AssertOneLine(Stats(dir), "D.inter.json", "malformed JSON", "truncated");
    }

    [Fact]
    public void ItemIdOutOfRange_NamesUserPositionAndRange()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2], \"7\": [1, 2, 5]}");
        File.WriteAllText(dir.File("D.item.json"), "{\"0\": {\"title\": \"a\"}, \"1\": {\"title\": \"b\"}, \"2\": {\"title\": \"c\"}}");
        AssertOneLine(Stats(dir), "D.inter.json: user \"7\", position 2: item id 5 is out of range [0, 3) (D.item.json has 3 items)");
    }

    [Fact]
    public void NonIntegerItemId_IsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1.5, 2]}");
        AssertOneLine(Stats(dir), "D.inter.json: user \"0\", position 1: item id must be an integer, found 1.5");
    }

    [Fact]
    public void StringItemId_IsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, \"1\", 2]}");
        AssertOneLine(Stats(dir), "D.inter.json: user \"0\", position 1: item id must be an integer, found the string \"1\"");
    }

    [Fact]
    public void UserWithTwoItems_IsAnError_UnlessSkipped()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2], \"9\": [1, 2]}");
        AssertOneLine(Stats(dir), "user \"9\": has 2 items; leave-one-out needs at least 3");

        var skipped = CliRunner.Run("data", "stats", dir.Path, "--skip-short-users", "--json");
        Assert.Equal(0, skipped.ExitCode);
        Assert.Contains("\"users_under_3_items\": 1", skipped.Stdout);
    }

    [Fact]
    public void DuplicateUser_IsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2], \"0\": [1, 2, 0]}");
        AssertOneLine(Stats(dir), "D.inter.json: user \"0\": user id appears twice");
    }

    [Fact]
    public void NpyWithWrongRowCount_IsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        NpyFile.Write(dir.File("D.emb.npy"), new FloatMatrix(new float[8], 2, 4));
        AssertOneLine(Stats(dir), "D.emb.npy: has 2 rows but the dataset has 3 items");
    }

    [Fact]
    public void NpyWithIntegerDtype_IsRejected()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        var bytes = NpyFile.Serialize(new FloatMatrix(new float[3], 3, 1));
        var text = System.Text.Encoding.Latin1.GetString(bytes).Replace("'<f4'", "'<i4'");
        File.WriteAllBytes(dir.File("D.emb.npy"), System.Text.Encoding.Latin1.GetBytes(text));
        AssertOneLine(Stats(dir), "D.emb.npy: dtype '<i4' is not supported");
    }

    [Fact]
    public void MissingFolder_IsAnError()
    {
        var r = CliRunner.Run("data", "stats", "/nonexistent/letter-data");
        AssertOneLine(r, "/nonexistent/letter-data: folder not found");
    }

    [Fact]
    public void FolderWithoutInteractions_IsAnError()
    {
        using var dir = new TempDir();
        AssertOneLine(Stats(dir), "no NAME.inter.json file in this folder");
    }

    [Fact]
    public void MalformedIndexToken_NamesItem()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        File.WriteAllText(dir.File("D.index.json"), "{\"0\": [\"<a_1>\", \"<b_2>\"], \"1\": [\"<a_1>\", \"b_3\"], \"2\": [\"<a_2>\", \"<b_2>\"]}");
        AssertOneLine(Stats(dir), "D.index.json: item \"1\": token \"b_3\" is not of the form \"<a_12>\"");
    }

    [Fact]
    public void IndexWithMixedLengths_NamesItem()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 2]}");
        File.WriteAllText(dir.File("D.index.json"), "{\"0\": [\"<a_1>\", \"<b_2>\"], \"1\": [\"<a_1>\"], \"2\": [\"<a_2>\", \"<b_2>\"]}");
        AssertOneLine(Stats(dir), "D.index.json: item \"1\": identifier has 1 tokens, earlier identifiers have 2");
    }

    [Fact]
    public void ItemJsonWithGap_IsNotContiguous()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("D.inter.json"), "{\"0\": [0, 1, 0]}");
        File.WriteAllText(dir.File("D.item.json"), "{\"0\": {\"title\": \"a\"}, \"2\": {\"title\": \"c\"}}");
        AssertOneLine(Stats(dir), "D.item.json: item \"2\": item ids must be contiguous 0..1");
    }

    [Fact]
    public void UnknownOption_IsOneLineWithExitCode2()
    {
        var r = CliRunner.Run("data", "stats", "x", "--jsn");
        Assert.Equal(2, r.ExitCode);
        var line = Assert.Single(r.ErrorLines);
        Assert.Contains("--jsn", line);
        Assert.Contains("letter data stats --help", line);
    }
}
