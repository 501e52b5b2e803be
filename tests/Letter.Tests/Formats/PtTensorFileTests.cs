using Letter.Formats;
using Letter.IO;

namespace Letter.Tests.Formats;

/// <summary>
/// The fixtures were written by PyTorch 1.13 (Debian's python3-torch):
///   torch.save(torch.arange(12.).reshape(3, 4) * 0.5 - 1.0, 'tensor-3x4.pt')
///   torch.save(torch.arange(30.).reshape(6, 5)[2:5], 'tensor-slice-3x5.pt')   # storage offset 10
///   torch.save(torch.tensor([[1.5, -2.0]], dtype=torch.float64), 'tensor-f64-1x2.pt')
/// </summary>
public class PtTensorFileTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Fact]
    public void Read_PlainTensor_GivesShapeAndValues()
    {
        var m = EmbeddingFile.Read(Fixture("tensor-3x4.pt"));
        Assert.Equal((3, 4), (m.Rows, m.Cols));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 0.5f - 1f), m.Data);
    }

    [Fact]
    public void Read_SlicedTensor_HonoursStorageOffset()
    {
        var m = PtTensorFile.Read(Fixture("tensor-slice-3x5.pt"));
        Assert.Equal((3, 5), (m.Rows, m.Cols));
        Assert.Equal(Enumerable.Range(10, 15).Select(i => (float)i), m.Data);
    }

    [Fact]
    public void Read_Float64Tensor_ConvertsToFloat32()
    {
        var m = PtTensorFile.Read(Fixture("tensor-f64-1x2.pt"));
        Assert.Equal(new[] { 1.5f, -2f }, m.Data);
    }

    [Fact]
    public void Read_NotAZip_IsAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("x.pt"), "not a zip");
        var e = Assert.Throws<LetterDataException>(() => PtTensorFile.Read(dir.File("x.pt")));
        Assert.StartsWith($"{dir.File("x.pt")}: not a readable PyTorch zip checkpoint", e.Message);
    }

    [Fact]
    public void Read_MissingFile_SaysSo()
    {
        var e = Assert.Throws<LetterDataException>(() => EmbeddingFile.Read("/nonexistent/cf.pt"));
        Assert.Equal("/nonexistent/cf.pt: file not found (its folder does not exist)", e.Message);
    }
}
