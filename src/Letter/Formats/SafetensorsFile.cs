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
    // every dtype the format defines (safetensors' Dtype enum); Letter reads the first three
    private static readonly string[] KnownDtypes =
        ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL", "F8_E4M3", "F8_E5M2", "F8_E8M0", "E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64"];

    /// <summary>One tensor's header entry, checked.</summary>
    private readonly record struct Entry(string Name, ScalarType Dtype, long[] Shape, long Begin, long End);

    /// <summary>
    /// Every tensor of a file, in its own dtype, named as in the file. The header is checked the way
    /// the reference reader checks it (dtype a known name, shape non-negative integers whose size does
    /// not overflow, data_offsets two integers spanning exactly the tensor's bytes inside the data,
    /// no two tensors overlapping, no name twice); any fault is a <see cref="LetterDataException"/>
    /// naming the file and the tensor.
    /// </summary>
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
        long dataStart = 8 + (long)headerLength;
        long dataLength = s.Length - dataStart;
        var entries = ReadHeader(path, header, dataLength);
        var result = new Dictionary<string, Tensor>();
        try
        {
            foreach (var e in entries)
            {
                var bytes = new byte[e.End - e.Begin];
                s.Position = dataStart + e.Begin;
                s.ReadExactly(bytes);
                result[e.Name] = FromBytes(bytes, e.Dtype, e.Shape);
            }
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    private static List<Entry> ReadHeader(string path, byte[] header, long dataLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new LetterDataException(path, null, $"has a header that is not valid JSON ({e.Message})");
        }
        using var _ = doc;
        if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new LetterDataException(path, null, "has a header that is not a JSON object");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var entries = new List<Entry>();
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            string name = property.Name;
            string record = name == "__metadata__" ? "__metadata__" : $"tensor {Quote(name)}";
            if (!names.Add(name)) throw new LetterDataException(path, record, "appears twice in the header");
            var node = property.Value;
            if (name == "__metadata__")
            {
                if (node.ValueKind != JsonValueKind.Object || node.EnumerateObject().Any(m => m.Value.ValueKind != JsonValueKind.String))
                    throw new LetterDataException(path, record, "is not an object of strings");
                continue;
            }
            if (node.ValueKind != JsonValueKind.Object || !node.TryGetProperty("dtype", out var dt) || !node.TryGetProperty("shape", out var shapeNode) ||
                !node.TryGetProperty("data_offsets", out var offsets))
                throw new LetterDataException(path, record, "lacks dtype, shape or data_offsets");
            if (dt.ValueKind != JsonValueKind.String) throw new LetterDataException(path, record, $"has dtype {dt.GetRawText()}, which is not a dtype name such as \"F32\"");
            string dtypeName = dt.GetString()!;
            var dtype = dtypeName switch
            {
                "F32" => ScalarType.Float32,
                "F16" => ScalarType.Float16,
                "BF16" => ScalarType.BFloat16,
                _ when KnownDtypes.Contains(dtypeName) => throw new LetterDataException(path, record, $"has dtype {dtypeName}; Letter reads F32, F16 and BF16"),
                _ => throw new LetterDataException(path, record, $"has dtype {Quote(dtypeName)}, which safetensors does not define"),
            };
            if (shapeNode.ValueKind != JsonValueKind.Array) throw new LetterDataException(path, record, "has a shape that is not a list");
            var shape = new long[shapeNode.GetArrayLength()];
            int d = 0;
            foreach (var dim in shapeNode.EnumerateArray())
            {
                if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var size) || size < 0)
                    throw new LetterDataException(path, record, $"has shape {shapeNode.GetRawText()}: dimension {d} is not a non-negative integer");
                shape[d++] = size;
            }
            long expected;
            try
            {
                expected = checked(shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype));
            }
            catch (OverflowException)
            {
                throw new LetterDataException(path, record, $"has shape {shapeNode.GetRawText()}, whose size in bytes overflows");
            }
            if (offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2 ||
                offsets.EnumerateArray().Any(o => o.ValueKind != JsonValueKind.Number || !o.TryGetInt64(out var v) || v < 0))
                throw new LetterDataException(path, record, $"has data_offsets {offsets.GetRawText()}, which are not two non-negative integers");
            long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
            if (end < begin || end - begin != expected)
                throw new LetterDataException(path, record, $"has data_offsets [{begin}, {end}) for {expected} bytes of shape {shapeNode.GetRawText()}");
            if (end > dataLength)
                throw new LetterDataException(path, record, $"ends at data byte {end}, after the end of the file's data ({dataLength} bytes): the file is truncated");
            entries.Add(new Entry(name, dtype, shape, begin, end));
        }
        var sorted = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < sorted.Count; i++)
            if (sorted[i].Begin < sorted[i - 1].End)
                throw new LetterDataException(path, $"tensor {Quote(sorted[i].Name)}", $"overlaps tensor {Quote(sorted[i - 1].Name)} in the data (bytes {sorted[i].Begin} to {sorted[i - 1].End})");
        return entries;
    }

    // names come from the file: quoted and escaped, never echoed raw
    internal static string Quote(string text) => JsonSerializer.Serialize(text, QuoteOptions);

    private static readonly JsonSerializerOptions QuoteOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
