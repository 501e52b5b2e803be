using Letter.Formats;
using System.Buffers.Binary;
using System.Text;
using Letter.IO;

namespace Letter.Tests.Formats;

public class NpyFileTests
{
    [Fact]
    public void WriteThenRead_RoundTripsValuesAndShape()
    {
        using var dir = new TempDir();
        var data = new float[] { 0f, -1.5f, 3.25f, float.MaxValue, float.Epsilon, 1e-7f };
        NpyFile.Write(dir.File("m.npy"), new FloatMatrix(data, 3, 2));
        var back = NpyFile.Read(dir.File("m.npy"));
        Assert.Equal(3, back.Rows);
        Assert.Equal(2, back.Cols);
        Assert.Equal(data, back.Data);
    }

    [Fact]
    public void Write_HeaderIsNumpyVersion1AlignedTo64()
    {
        var bytes = NpyFile.Serialize(new FloatMatrix([1f, 2f], 1, 2));
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        Assert.Equal(1, bytes[6]);
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'shape': (1, 2)", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(10 + headerLength + 4)));
    }

    [Theory]
    [InlineData("<f2", 2)]
    [InlineData("<f8", 8)]
    [InlineData(">f4", 4)]
    public void Read_OtherFloatTypes_ConvertToFloat32(string descr, int size)
    {
        var values = new[] { 1.5, -2.25, 0.125, 4.0 };
        var payload = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var s = payload.AsSpan(i * size, size);
            switch (descr)
            {
                case "<f2": BinaryPrimitives.WriteHalfLittleEndian(s, (Half)values[i]); break;
                case "<f8": BinaryPrimitives.WriteDoubleLittleEndian(s, values[i]); break;
                default: BinaryPrimitives.WriteSingleBigEndian(s, (float)values[i]); break;
            }
        }
        var m = NpyFile.Parse(Handmade(descr, "(2, 2)", payload, version: 1), "t.npy");
        Assert.Equal((2, 2), (m.Rows, m.Cols));
        Assert.Equal(values.Select(v => (float)v), m.Data);
    }

    [Fact]
    public void Read_Version2Header_AndFortranOrder_AreHandled()
    {
        var payload = new byte[6 * 4];
        // Fortran order: column-major storage of [[1, 2, 3], [4, 5, 6]] is 1, 4, 2, 5, 3, 6.
        float[] stored = [1, 4, 2, 5, 3, 6];
        for (int i = 0; i < 6; i++) BinaryPrimitives.WriteSingleLittleEndian(payload.AsSpan(i * 4), stored[i]);
        var m = NpyFile.Parse(Handmade("<f4", "(2, 3)", payload, version: 2, fortran: true), "t.npy");
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, m.Data);
    }

    [Fact]
    public void Read_IntegerDtype_IsAClearError()
    {
        var e = Assert.Throws<LetterDataException>(() => NpyFile.Parse(Handmade("<i8", "(1, 1)", new byte[8], 1), "ids.npy"));
        Assert.StartsWith("ids.npy: dtype '<i8' is not supported", e.Message);
    }

    [Fact]
    public void Read_TruncatedData_IsAClearError()
    {
        var e = Assert.Throws<LetterDataException>(() => NpyFile.Parse(Handmade("<f4", "(4, 2)", new byte[12], 1), "cut.npy"));
        Assert.Equal("cut.npy: truncated data: shape (4, 2) needs 32 bytes, the file has 12", e.Message);
    }

    [Fact]
    public void RequireRows_WrongRowCount_NamesFileAndCounts()
    {
        var m = new FloatMatrix(new float[6], 3, 2);
        var e = Assert.Throws<LetterDataException>(() => m.RequireRows(4, "cf.npy", "the CF embedding"));
        Assert.Equal("cf.npy: has 3 rows but the dataset has 4 items (the CF embedding needs one row per item, row i = item i)", e.Message);
    }

    private static byte[] Handmade(string descr, string shape, byte[] payload, int version, bool fortran = false)
    {
        var dict = $"{{'descr': '{descr}', 'fortran_order': {(fortran ? "True" : "False")}, 'shape': {shape}, }}\n";
        int prefix = version == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetBytes(dict);
        var bytes = new byte[prefix + header.Length + payload.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = (byte)version;
        if (version == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)header.Length);
        header.CopyTo(bytes, prefix);
        payload.CopyTo(bytes, prefix + header.Length);
        return bytes;
    }
}
