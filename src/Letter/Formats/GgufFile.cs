using System.Text;
using Letter.IO;
using static TorchSharp.torch;

namespace Letter.Formats;

/// <summary>One tensor's entry in a GGUF file: name, shape (outermost first, as PyTorch lists it), type, data offset.</summary>
public sealed record GgufTensorInfo(string Name, long[] Shape, int Type, long Offset)
{
    public long Elements => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// A GGUF file (version 2 or 3, the llama.cpp format): metadata key/values and tensors. Reads f32,
/// f16 and bf16 tensors; quantised types are refused by name. GGUF lists dimensions innermost first
/// (ne[0] is the number of columns); <see cref="GgufTensorInfo.Shape"/> is reversed to PyTorch's order.
/// </summary>
public sealed class GgufFile
{
    private const uint Magic = 0x46554747; // "GGUF" little-endian
    public const int F32 = 0, F16 = 1, BF16 = 30;

    private GgufFile(string path, Dictionary<string, object> metadata, Dictionary<string, GgufTensorInfo> tensors, long dataStart)
    {
        Path = path;
        Metadata = metadata;
        Tensors = tensors;
        DataStart = dataStart;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, object> Metadata { get; }
    public IReadOnlyDictionary<string, GgufTensorInfo> Tensors { get; }
    public long DataStart { get; }

    public static GgufFile Read(string path)
    {
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing");
        using var s = File.OpenRead(path);
        using var r = new BinaryReader(s, Encoding.UTF8);
        try
        {
            if (s.Length < 4 || r.ReadUInt32() != Magic) throw new LetterDataException(path, null, "is not a GGUF file (no GGUF magic)");
            uint version = r.ReadUInt32();
            if (version is not (2 or 3)) throw new LetterDataException(path, null, $"is GGUF version {version}; Letter reads versions 2 and 3");
            long tensorCount = checked((long)r.ReadUInt64());
            long kvCount = checked((long)r.ReadUInt64());
            if (tensorCount > 1_000_000 || kvCount > 1_000_000) throw new LetterDataException(path, null, $"claims {tensorCount} tensors and {kvCount} metadata entries: the header is damaged");
            var metadata = new Dictionary<string, object>();
            for (long i = 0; i < kvCount; i++)
            {
                string key = ReadString(r, path);
                metadata[key] = ReadValue(r, r.ReadUInt32(), path, key);
            }
            var tensors = new Dictionary<string, GgufTensorInfo>();
            for (long i = 0; i < tensorCount; i++)
            {
                string name = ReadString(r, path);
                uint dims = r.ReadUInt32();
                if (dims is 0 or > 8) throw new LetterDataException(path, $"tensor {name}", $"has {dims} dimensions");
                var ne = new long[dims];
                for (int d = 0; d < dims; d++) ne[d] = checked((long)r.ReadUInt64());
                int type = (int)r.ReadUInt32();
                long offset = checked((long)r.ReadUInt64());
                tensors[name] = new GgufTensorInfo(name, ne.Reverse().ToArray(), type, offset);
            }
            long alignment = metadata.TryGetValue("general.alignment", out var al) ? Convert.ToInt64(al) : 32;
            long dataStart = (s.Position + alignment - 1) / alignment * alignment;
            foreach (var t in tensors.Values)
            {
                long bytes = t.Elements * ElementSize(t, path);
                if (dataStart + t.Offset + bytes > s.Length)
                    throw new LetterDataException(path, $"tensor {t.Name}", $"ends at byte {dataStart + t.Offset + bytes}, after the end of the file ({s.Length} bytes): the file is truncated");
            }
            return new GgufFile(path, metadata, tensors, dataStart);
        }
        catch (EndOfStreamException)
        {
            throw new LetterDataException(path, null, "is truncated (its header ends early)");
        }
    }

    private static int ElementSize(GgufTensorInfo t, string path) => t.Type switch
    {
        F32 => 4,
        F16 or BF16 => 2,
        _ => throw new LetterDataException(path, $"tensor {t.Name}", $"has GGUF type {t.Type} (quantised); Letter reads f32, f16 and bf16 tensors"),
    };

    /// <summary>A tensor as float32, shaped outermost first.</summary>
    public Tensor ReadTensor(string name)
    {
        if (!Tensors.TryGetValue(name, out var t)) throw new LetterDataException(Path, null, $"has no tensor {name}");
        int size = ElementSize(t, Path);
        var bytes = new byte[t.Elements * size];
        using (var s = File.OpenRead(Path))
        {
            s.Position = DataStart + t.Offset;
            s.ReadExactly(bytes);
        }
        var dtype = t.Type switch { F32 => ScalarType.Float32, F16 => ScalarType.Float16, _ => ScalarType.BFloat16 };
        return SafetensorsFile.FromBytes(bytes, dtype, t.Shape).to_type(ScalarType.Float32);
    }

    public string GetString(string key) => Metadata.TryGetValue(key, out var v) && v is string s ? s
        : throw new LetterDataException(Path, key, "is missing from the metadata (or not a string)");

    public long GetInt(string key) => Metadata.TryGetValue(key, out var v) && v is not string and not Array and not bool ? Convert.ToInt64(v)
        : throw new LetterDataException(Path, key, "is missing from the metadata (or not a number)");

    public long? GetIntOrNull(string key) => Metadata.ContainsKey(key) ? GetInt(key) : null;

    public double GetDouble(string key, double fallback) => Metadata.TryGetValue(key, out var v) ? Convert.ToDouble(v) : fallback;

    public T[] GetArray<T>(string key) => Metadata.TryGetValue(key, out var v) && v is object[] a ? a.Select(x => (T)Convert.ChangeType(x, typeof(T))).ToArray()
        : throw new LetterDataException(Path, key, "is missing from the metadata (or not an array)");

    private static string ReadString(BinaryReader r, string path)
    {
        ulong length = r.ReadUInt64();
        if (length > 1 << 24) throw new LetterDataException(path, null, $"holds a string of {length} bytes: the header is damaged");
        return Encoding.UTF8.GetString(r.ReadBytes((int)length));
    }

    private static object ReadValue(BinaryReader r, uint type, string path, string key) => type switch
    {
        0 => r.ReadByte(),
        1 => r.ReadSByte(),
        2 => r.ReadUInt16(),
        3 => r.ReadInt16(),
        4 => r.ReadUInt32(),
        5 => r.ReadInt32(),
        6 => r.ReadSingle(),
        7 => r.ReadByte() != 0,
        8 => ReadString(r, path),
        9 => ReadArray(r, path, key),
        10 => r.ReadUInt64(),
        11 => r.ReadInt64(),
        12 => r.ReadDouble(),
        _ => throw new LetterDataException(path, key, $"has metadata value type {type}, which GGUF does not define: the header is damaged"),
    };

    private static object[] ReadArray(BinaryReader r, string path, string key)
    {
        uint type = r.ReadUInt32();
        ulong count = r.ReadUInt64();
        if (count > 1 << 26) throw new LetterDataException(path, key, $"is an array of {count} values: the header is damaged");
        var values = new object[count];
        for (ulong i = 0; i < count; i++) values[i] = ReadValue(r, type, path, key);
        return values;
    }
}
