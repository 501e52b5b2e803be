using Letter.Formats;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Letter.IO;

namespace Letter.Tests.Data;

/// <summary>Embedding files are refused at read unless they are 2-D and finite; the message names the file, row and column.</summary>
public class EmbeddingCheckTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+infinity")]
    [InlineData(float.NegativeInfinity, "-infinity")]
    public void Npy_NonFiniteValue_NamesFileRowAndColumn(float bad, string shown)
    {
        using var dir = new TempDir();
        var data = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        data[2 * 4 + 1] = bad;
        data[2 * 4 + 3] = float.NaN; // a later bad value: the first is reported
        var path = dir.File("sem.npy");
        File.WriteAllBytes(path, NpyFile.Serialize(new FloatMatrix(data, 3, 4)));
        var e = Assert.Throws<LetterDataException>(() => EmbeddingFile.Read(path));
        Assert.Equal($"{path}: row 2, column 1: value {shown} is not a finite number (embeddings must be finite)", e.Message);
    }

    [Theory]
    [InlineData("(6,)")]
    [InlineData("(1, 2, 3)")]
    public void Npy_NotTwoDimensional_IsRefused(string shape)
    {
        var e = Assert.Throws<LetterDataException>(() => NpyFile.Parse(Npy(shape, new byte[24]), "v.npy"));
        Assert.Equal($"v.npy: expected a 2-D array [items, dim], found shape {shape}", e.Message);
    }

    [Fact]
    public void Pt_NonFiniteValue_NamesFileRowAndColumn()
    {
        using var dir = new TempDir();
        var path = dir.File("cf.pt");
        File.Copy(Fixture("tensor-3x4.pt"), path);
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            // the fixture's storage: 12 little-endian float32 values, row-major [3, 4]
            var entry = zip.Entries.Single(e => e.FullName.EndsWith("/data/0", StringComparison.Ordinal));
            var name = entry.FullName;
            byte[] raw;
            using (var s = entry.Open()) { using var m = new MemoryStream(); s.CopyTo(m); raw = m.ToArray(); }
            BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan((1 * 4 + 2) * 4), float.NaN);
            entry.Delete();
            using var w = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            w.Write(raw);
        }
        var e = Assert.Throws<LetterDataException>(() => EmbeddingFile.Read(path));
        Assert.Equal($"{path}: row 1, column 2: value NaN is not a finite number (embeddings must be finite)", e.Message);
    }

    private static byte[] Npy(string shape, byte[] payload)
    {
        var header = Encoding.ASCII.GetBytes($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}\n");
        var bytes = new byte[10 + header.Length + payload.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        header.CopyTo(bytes, 10);
        payload.CopyTo(bytes, 10 + header.Length);
        return bytes;
    }
}
