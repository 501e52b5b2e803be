using System.Text;

namespace Letter.Tests.Models.LcRec;

/// <summary>Writes GGUF v3 files byte by byte (metadata and tensor entries as given, damaged ones included) for reader tests.</summary>
internal sealed class GgufWriter
{
    private readonly List<(string Key, Action<BinaryWriter> Value)> _metadata = [];
    private readonly List<(string Name, ulong[] Dims, uint Type, ulong Offset)> _tensors = [];

    public GgufWriter String(string key, string value) => Add(key, w => { w.Write(8u); Str(w, value); });
    public GgufWriter UInt32(string key, uint value) => Add(key, w => { w.Write(4u); w.Write(value); });
    public GgufWriter Bool(string key, bool value) => Add(key, w => { w.Write(7u); w.Write(value); });
    public GgufWriter Strings(string key, IReadOnlyList<string> values) => Add(key, w =>
    {
        w.Write(9u); w.Write(8u); w.Write((ulong)values.Count);
        foreach (var v in values) Str(w, v);
    });
    public GgufWriter Ints(string key, IReadOnlyList<int> values) => Add(key, w =>
    {
        w.Write(9u); w.Write(5u); w.Write((ulong)values.Count);
        foreach (var v in values) w.Write(v);
    });

    /// <summary>A tensor entry; dims innermost first, as GGUF lists them.</summary>
    public GgufWriter Tensor(string name, ulong[] dims, uint type, ulong offset)
    {
        _tensors.Add((name, dims, type, offset));
        return this;
    }

    private GgufWriter Add(string key, Action<BinaryWriter> value)
    {
        _metadata.Add((key, value));
        return this;
    }

    private static void Str(BinaryWriter w, string s)
    {
        var b = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)b.Length);
        w.Write(b);
    }

    /// <summary>The file: header, padding to 32 bytes, then <paramref name="dataBytes"/> zero bytes of data.</summary>
    public void Write(string path, int dataBytes = 0)
    {
        using var s = File.Create(path);
        using var w = new BinaryWriter(s);
        w.Write(0x46554747u);
        w.Write(3u);
        w.Write((ulong)_tensors.Count);
        w.Write((ulong)_metadata.Count);
        foreach (var (key, value) in _metadata)
        {
            Str(w, key);
            value(w);
        }
        foreach (var (name, dims, type, offset) in _tensors)
        {
            Str(w, name);
            w.Write((uint)dims.Length);
            foreach (var d in dims) w.Write(d);
            w.Write(type);
            w.Write(offset);
        }
        while (s.Position % 32 != 0) w.Write((byte)0);
        w.Write(new byte[dataBytes]);
    }
}
