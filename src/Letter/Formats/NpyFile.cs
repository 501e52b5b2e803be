using Letter.IO;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Letter.Formats;

/// <summary>
/// NumPy .npy files (format versions 1, 2 and 3) of item embeddings: float32, float16 and float64 are
/// read as float32; only 2-D arrays [items, dim] of finite values are accepted (checked here, where
/// they enter, so a bad file is named at once); written as little-endian float32, version 1, C order.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static FloatMatrix Read(string path) => Parse(InputFile.ReadAllBytes(path), path);

    public static FloatMatrix Parse(byte[] bytes, string file)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw new LetterDataException(file, null, "not an .npy file (missing the \\x93NUMPY magic)");
        int major = bytes[6];
        int headerLength, headerStart;
        switch (major)
        {
            case 1:
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new LetterDataException(file, null, "truncated .npy header");
                headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
                headerStart = 12;
                break;
            default:
                throw new LetterDataException(file, null, $"unsupported .npy format version {major}");
        }
        if (headerStart + headerLength > bytes.Length)
            throw new LetterDataException(file, null, "truncated .npy header");
        var header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var order = FortranPattern().Match(header);
        var shape = ShapePattern().Match(header);
        if (!descr.Success || !order.Success || !shape.Success)
            throw new LetterDataException(file, null, $"malformed .npy header: {header.Trim()}");

        var dtype = descr.Groups[1].Value;
        bool bigEndian = dtype[0] == '>';
        int itemSize = dtype[1..] switch
        {
            "f4" => 4,
            "f2" => 2,
            "f8" => 8,
            _ => throw new LetterDataException(file, null,
                $"dtype '{dtype}' is not supported (expected float32 '<f4'; float16 and float64 are converted)"),
        };
        if (dtype[0] is not ('<' or '>' or '|' or '='))
            throw new LetterDataException(file, null, $"dtype '{dtype}' has an unknown byte order");

        var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        if (dims.Length != 2)
            throw new LetterDataException(file, null, $"expected a 2-D array [items, dim], found shape ({shape.Groups[1].Value.Trim()})");
        long rowsL = dims[0], colsL = dims[1];
        long count = rowsL * colsL;
        if (count > int.MaxValue) throw new LetterDataException(file, null, "array too large");
        int rows = (int)rowsL, cols = (int)colsL;
        long dataStart = headerStart + headerLength;
        long expectedBytes = count * itemSize;
        if (bytes.Length - dataStart < expectedBytes)
            throw new LetterDataException(file, null,
                $"truncated data: shape ({rows}, {cols}) needs {expectedBytes} bytes, the file has {bytes.Length - dataStart}");

        var data = new float[count];
        var src = bytes.AsSpan((int)dataStart);
        for (int i = 0; i < data.Length; i++)
        {
            var s = src.Slice(i * itemSize, itemSize);
            data[i] = itemSize switch
            {
                4 => bigEndian ? BinaryPrimitives.ReadSingleBigEndian(s) : BinaryPrimitives.ReadSingleLittleEndian(s),
                2 => (float)(bigEndian ? BinaryPrimitives.ReadHalfBigEndian(s) : BinaryPrimitives.ReadHalfLittleEndian(s)),
                _ => (float)(bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(s) : BinaryPrimitives.ReadDoubleLittleEndian(s)),
            };
        }
        if (order.Groups[1].Value == "True" && dims.Length == 2)
        {
            // Fortran order stores columns contiguously: transpose into row-major.
            var c = new float[count];
            for (int r = 0; r < rows; r++)
                for (int k = 0; k < cols; k++)
                    c[r * cols + k] = data[k * rows + r];
            data = c;
        }
        return new FloatMatrix(data, rows, cols).RequireFinite(file);
    }

    public static void Write(string path, FloatMatrix matrix) => AtomicFile.WriteAllBytes(path, Serialize(matrix));

    public static byte[] Serialize(FloatMatrix m)
    {
        if (m.Data.Length != (long)m.Rows * m.Cols)
            throw new ArgumentException($"matrix data has {m.Data.Length} values, shape is ({m.Rows}, {m.Cols})");
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({m.Rows}, {m.Cols}), }}";
        // Pad with spaces so magic + version + length + header + '\n' is a multiple of 64 bytes.
        int total = 10 + dict.Length + 1;
        int padded = (total + 63) / 64 * 64;
        var header = dict + new string(' ', padded - total) + "\n";
        var bytes = new byte[10 + header.Length + m.Data.Length * 4];
        Magic.CopyTo(bytes, 0);
        bytes[6] = 1;
        bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)header.Length);
        Encoding.Latin1.GetBytes(header, bytes.AsSpan(10));
        var dst = bytes.AsSpan(10 + header.Length);
        for (int i = 0; i < m.Data.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(dst.Slice(i * 4), m.Data[i]);
        return bytes;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
