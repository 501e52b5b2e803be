using Letter.IO;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Letter.Formats;

/// <summary>
/// Reads a PyTorch <c>.pt</c> file (the zip format of <c>torch.save</c>) that holds one float tensor,
/// or a dict holding exactly one: <c>PREFIX/data.pkl</c> describes the tensor (storage key, dtype,
/// offset, size, stride) and <c>PREFIX/data/KEY</c> holds the raw little-endian storage. Only the
/// pickle opcodes that torch.save emits for tensors are interpreted; nothing is executed.
/// </summary>
public static class PtTensorFile
{
    public static FloatMatrix Read(string path)
    {
        var bytes = InputFile.ReadAllBytes(path);
        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var pkl = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl")
                ?? throw new LetterDataException(path, null, "not a PyTorch zip checkpoint (no data.pkl inside)");
            var prefix = pkl.FullName[..^"data.pkl".Length];
            var root = new MiniUnpickler(ReadEntry(pkl), path).Load();
            var tensor = SingleTensor(root, path);
            var storage = zip.GetEntry($"{prefix}data/{tensor.Storage.Key}")
                ?? throw new LetterDataException(path, null, $"storage '{tensor.Storage.Key}' is missing from the archive");
            return Materialise(tensor, ReadEntry(storage), path);
        }
        catch (InvalidDataException e)
        {
            throw new LetterDataException(path, null, $"not a readable PyTorch zip checkpoint: {e.Message}");
        }
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry)
    {
        using var s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static TensorRef SingleTensor(object? root, string path)
    {
        switch (root)
        {
            case TensorRef t:
                return t;
            case Dictionary<object, object?> dict:
                var tensors = dict.Where(kv => kv.Value is TensorRef).ToList();
                if (tensors.Count == 1) return (TensorRef)tensors[0].Value!;
                throw new LetterDataException(path, null,
                    $"holds a dict with {tensors.Count} tensors ({string.Join(", ", tensors.Select(kv => kv.Key))}); expected exactly one");
            default:
                throw new LetterDataException(path, null, $"holds {root?.GetType().Name ?? "None"}, expected one tensor");
        }
    }

    private static FloatMatrix Materialise(TensorRef t, byte[] raw, string path)
    {
        int itemSize = t.Storage.DType switch
        {
            "FloatStorage" => 4,
            "DoubleStorage" => 8,
            "HalfStorage" or "BFloat16Storage" => 2,
            _ => throw new LetterDataException(path, null, $"tensor type {t.Storage.DType} is not a float tensor"),
        };
        if (t.Size.Length != 2)
            throw new LetterDataException(path, null, $"expected a 2-D tensor [items, dim], found shape ({string.Join(", ", t.Size)})");
        int rows = (int)t.Size[0], cols = (int)t.Size[1];
        long rowStride = t.Stride[0], colStride = t.Stride[1];
        var data = new float[(long)rows * cols];
        long available = raw.Length / itemSize;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                long at = t.Offset + r * rowStride + c * colStride;
                if (at >= available)
                    throw new LetterDataException(path, null, "tensor extends past the end of its storage (truncated file?)");
                var s = raw.AsSpan((int)(at * itemSize), itemSize);
                data[(long)r * cols + c] = t.Storage.DType switch
                {
                    "FloatStorage" => BinaryPrimitives.ReadSingleLittleEndian(s),
                    "DoubleStorage" => (float)BinaryPrimitives.ReadDoubleLittleEndian(s),
                    "HalfStorage" => (float)BinaryPrimitives.ReadHalfLittleEndian(s),
                    _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(s) << 16),
                };
            }
        return new FloatMatrix(data, rows, cols).RequireFinite(path);
    }

    private sealed record GlobalRef(string Module, string Name);

    private sealed record StorageRef(string DType, string Key);

    private sealed record TensorRef(StorageRef Storage, long Offset, long[] Size, long[] Stride);

    private sealed class Mark;

    /// <summary>A pickle reader limited to the opcodes of tensor checkpoints (protocol 2 to 5).</summary>
    private sealed class MiniUnpickler(byte[] data, string path)
    {
        private readonly List<object?> _stack = [];
        private readonly Dictionary<long, object?> _memo = [];
        private int _pos;

        public object? Load()
        {
            while (true)
            {
                byte op = U8();
                switch (op)
                {
                    case 0x80: U8(); break;                                   // PROTO
                    case 0x95: _pos += 8; break;                              // FRAME
                    case (byte)'c': Push(new GlobalRef(Line(), Line())); break; // GLOBAL
                    case 0x93: { var n = (string)Pop()!; var m = (string)Pop()!; Push(new GlobalRef(m, n)); break; } // STACK_GLOBAL
                    case (byte)'q': _memo[U8()] = Top(); break;              // BINPUT
                    case (byte)'r': _memo[U32()] = Top(); break;             // LONG_BINPUT
                    case 0x94: _memo[_memo.Count] = Top(); break;            // MEMOIZE
                    case (byte)'h': Push(_memo[U8()]); break;                // BINGET
                    case (byte)'j': Push(_memo[U32()]); break;               // LONG_BINGET
                    case (byte)'(': Push(new Mark()); break;                 // MARK
                    case (byte)'t': Push(PopToMark().ToArray()); break;      // TUPLE
                    case (byte)')': Push(Array.Empty<object?>()); break;     // EMPTY_TUPLE
                    case 0x85: Push(new[] { Pop() }); break;                 // TUPLE1
                    case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }            // TUPLE2
                    case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; } // TUPLE3
                    case (byte)'X': Push(Str((int)U32())); break;            // BINUNICODE
                    case 0x8c: Push(Str(U8())); break;                       // SHORT_BINUNICODE
                    case (byte)'J': Push((long)(int)U32()); break;           // BININT
                    case (byte)'K': Push((long)U8()); break;                 // BININT1
                    case (byte)'M': Push((long)U16()); break;                // BININT2
                    case 0x8a: Push(Long1()); break;                         // LONG1
                    case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                    case 0x88: Push(true); break;                            // NEWTRUE
                    case 0x89: Push(false); break;                           // NEWFALSE
                    case (byte)'N': Push(null); break;                       // NONE
                    case (byte)'}': Push(new Dictionary<object, object?>()); break; // EMPTY_DICT
                    case (byte)']': Push(new List<object?>()); break;        // EMPTY_LIST
                    case (byte)'s': { var v = Pop(); var k = Pop()!; ((Dictionary<object, object?>)Top()!)[k] = v; break; } // SETITEM
                    case (byte)'u':                                           // SETITEMS
                        {
                            var items = PopToMark();
                            var d = (Dictionary<object, object?>)Top()!;
                            for (int i = 0; i + 1 < items.Count; i += 2) d[items[i]!] = items[i + 1];
                            break;
                        }
                    case (byte)'a': { var v = Pop(); ((List<object?>)Top()!).Add(v); break; } // APPEND
                    case (byte)'e': { var items = PopToMark(); ((List<object?>)Top()!).AddRange(items); break; } // APPENDS
                    case (byte)'b': Pop(); break;                            // BUILD: state ignored (no tensor needs it)
                    case (byte)'Q': Push(PersistentLoad(Pop())); break;      // BINPERSID
                    case (byte)'R': { var args = (object?[])Pop()!; var f = Pop(); Push(Reduce(f, args)); break; } // REDUCE
                    case (byte)'.': return Pop();                            // STOP
                    default:
                        throw new LetterDataException(path, null, $"unsupported pickle opcode 0x{op:x2} at byte {_pos - 1} of data.pkl");
                }
            }
        }

        private object PersistentLoad(object? pid)
        {
            // ('storage', torch.FloatStorage, key, location, numel)
            if (pid is object?[] { Length: >= 3 } t && t[0] is "storage" && t[1] is GlobalRef g && t[2] is string key)
                return new StorageRef(g.Name, key);
            throw new LetterDataException(path, null, "unexpected persistent id in data.pkl");
        }

        private object? Reduce(object? function, object?[] args)
        {
            switch (function)
            {
                case GlobalRef { Module: "torch._utils", Name: "_rebuild_tensor_v2" or "_rebuild_tensor" }:
                    return new TensorRef((StorageRef)args[0]!, (long)args[1]!, Longs(args[2]), Longs(args[3]));
                case GlobalRef { Module: "torch._utils", Name: "_rebuild_parameter" or "_rebuild_parameter_with_state" }:
                    return args[0];
                case GlobalRef { Module: "collections", Name: "OrderedDict" }:
                    return new Dictionary<object, object?>();
                case GlobalRef g:
                    throw new LetterDataException(path, null, $"data.pkl calls {g.Module}.{g.Name}, which a single-tensor file does not need");
                default:
                    throw new LetterDataException(path, null, "malformed data.pkl");
            }
        }

        private static long[] Longs(object? o) => ((object?[])o!).Select(x => (long)x!).ToArray();

        private List<object?> PopToMark()
        {
            int m = _stack.FindLastIndex(x => x is Mark);
            if (m < 0) throw new LetterDataException(path, null, "malformed data.pkl (no mark)");
            var items = _stack.GetRange(m + 1, _stack.Count - m - 1);
            _stack.RemoveRange(m, _stack.Count - m);
            return items;
        }

        private void Push(object? o) => _stack.Add(o);

        private object? Top() => _stack.Count > 0 ? _stack[^1] : throw new LetterDataException(path, null, "malformed data.pkl (empty stack)");

        private object? Pop()
        {
            var o = Top();
            _stack.RemoveAt(_stack.Count - 1);
            return o;
        }

        private ReadOnlySpan<byte> Take(int n)
        {
            if (_pos + n > data.Length) throw new LetterDataException(path, null, "data.pkl ends too early");
            var s = data.AsSpan(_pos, n);
            _pos += n;
            return s;
        }

        private byte U8() => Take(1)[0];

        private ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        private uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        private string Str(int n) => Encoding.UTF8.GetString(Take(n));

        private long Long1()
        {
            int n = U8();
            var b = Take(n);
            long v = 0;
            for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
            if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
            return v;
        }

        private string Line()
        {
            int end = Array.IndexOf(data, (byte)'\n', _pos);
            if (end < 0) throw new LetterDataException(path, null, "data.pkl ends too early");
            var s = Encoding.ASCII.GetString(data, _pos, end - _pos);
            _pos = end + 1;
            return s;
        }
    }
}
