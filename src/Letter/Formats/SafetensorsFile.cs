using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Formats;

/// <summary>
/// The safetensors format: an 8-byte little-endian header length, a JSON header mapping each tensor's
/// name to its dtype, shape and [begin, end) byte range of the data that follows, then the raw
/// little-endian data. Reads and writes F32, F16 and BF16 (and reads I64 / I32 / BOOL-free files only
/// of those float types).
/// </summary>
public static class SafetensorsFile
{
    /// <summary>Every tensor of a file, in its own dtype, named as in the file.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing");
        using var s = File.OpenRead(path);
        if (s.Length < 8) throw new LetterDataException(path, null, "is too short for a safetensors file (no header length)");
        Span<byte> lengthBytes = stackalloc byte[8];
        s.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(s.Length - 8) || headerLength > 100_000_000)
            throw new LetterDataException(path, null, $"declares a header of {headerLength} bytes in a file of {s.Length}: it is truncated or not safetensors");
        var header = new byte[headerLength];
        s.ReadExactly(header);
        JsonObject root;
        try
        {
            root = JsonNode.Parse(header) as JsonObject ?? throw new LetterDataException(path, null, "has a header that is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"has a header that is not valid JSON ({e.Message})");
        }
        long dataStart = 8 + (long)headerLength;
        long dataLength = s.Length - dataStart;
        var result = new Dictionary<string, Tensor>();
        foreach (var (name, node) in root)
        {
            if (name == "__metadata__") continue;
            if (node is not JsonObject entry || entry["dtype"] is not JsonValue dt || entry["shape"] is not JsonArray shapeNode || entry["data_offsets"] is not JsonArray offsets || offsets.Count != 2)
                throw new LetterDataException(path, $"tensor {name}", "lacks dtype, shape or data_offsets");
            var dtype = dt.GetValue<string>() switch
            {
                "F32" => ScalarType.Float32,
                "F16" => ScalarType.Float16,
                "BF16" => ScalarType.BFloat16,
                var other => throw new LetterDataException(path, $"tensor {name}", $"has dtype {other}; Letter reads F32, F16 and BF16"),
            };
            var shape = shapeNode.Select(d => d!.GetValue<long>()).ToArray();
            long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
            long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
            if (begin < 0 || end < begin || end - begin != expected)
                throw new LetterDataException(path, $"tensor {name}", $"has data_offsets [{begin}, {end}) for {expected} bytes of shape [{string.Join(", ", shape)}]");
            if (end > dataLength)
                throw new LetterDataException(path, $"tensor {name}", $"ends at data byte {end}, after the end of the file's data ({dataLength} bytes): the file is truncated");
            var bytes = new byte[end - begin];
            s.Position = dataStart + begin;
            s.ReadExactly(bytes);
            result[name] = FromBytes(bytes, dtype, shape);
        }
        return result;
    }

    /// <summary>Writes tensors (F32, F16 or BF16) atomically, sorted by name as the reference writer does.</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is not null)
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        foreach (var (name, t) in list)
        {
            string dtype = t.dtype switch
            {
                ScalarType.Float32 => "F32",
                ScalarType.Float16 => "F16",
                ScalarType.BFloat16 => "BF16",
                _ => throw new ArgumentException($"tensor {name} is {t.dtype}; safetensors files here hold F32, F16 or BF16"),
            };
            long bytes = t.numel() * ElementSize(t.dtype);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var headerBytes = Encoding.UTF8.GetBytes(header.ToJsonString());
        // the reference pads the header with spaces to a multiple of 8 so the data is aligned
        int padded = (headerBytes.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(headerBytes);
            for (int i = headerBytes.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, t) in list) stream.Write(ToBytes(t));
        });
    }

    internal static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 => 2,
        _ => throw new ArgumentException($"unsupported dtype {dtype}"),
    };

    /// <summary>
    /// Raw little-endian bytes to a tensor of <paramref name="dtype"/>. 16-bit values widen to float32 in
    /// managed code (bf16: the bits shifted up; f16: System.Half), then narrow back, both exactly.
    /// </summary>
    internal static Tensor FromBytes(byte[] bytes, ScalarType dtype, long[] shape)
    {
        if (dtype == ScalarType.Float32) return tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape, device: CPU);
        var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
        var wide = new float[raw.Length];
        if (dtype == ScalarType.BFloat16)
            for (int i = 0; i < raw.Length; i++) wide[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
        else
            for (int i = 0; i < raw.Length; i++) wide[i] = (float)BitConverter.UInt16BitsToHalf(raw[i]);
        using var scope = NewDisposeScope();
        return tensor(wide, shape, device: CPU).to_type(dtype).MoveToOuterDisposeScope();
    }

    internal static byte[] ToBytes(Tensor t)
    {
        using var scope = NewDisposeScope();
        var floats = t.detach().cpu().contiguous().to_type(ScalarType.Float32).data<float>().ToArray();
        if (t.dtype == ScalarType.Float32) return MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
        var raw = new ushort[floats.Length];
        if (t.dtype == ScalarType.BFloat16)
            for (int i = 0; i < raw.Length; i++) raw[i] = (ushort)(BitConverter.SingleToInt32Bits(floats[i]) >>> 16);
        else
            for (int i = 0; i < raw.Length; i++) raw[i] = BitConverter.HalfToUInt16Bits((Half)floats[i]);
        return MemoryMarshal.AsBytes(raw.AsSpan()).ToArray();
    }
}
