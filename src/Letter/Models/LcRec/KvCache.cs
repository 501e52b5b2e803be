using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// Keys and values of every layer for the rows being decoded, [rows, Hkv, T, Dh] each (before the
/// grouped-query repeat). Owns its tensors: each update replaces and disposes the previous ones.
/// </summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor?[] _keys;
    private readonly Tensor?[] _values;

    public KvCache(int layers)
    {
        _keys = new Tensor?[layers];
        _values = new Tensor?[layers];
    }

    /// <summary>Positions already cached.</summary>
    public int Length { get; private set; }

    /// <summary>Appends this step's keys and values of one layer ([rows, Hkv, L, Dh]) and returns the whole cache of that layer.</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] is { } oldK ? cat([oldK, keys], 2) : keys.alias();
        var v = _values[layer] is { } oldV ? cat([oldV, values], 2) : values.alias();
        Replace(layer, k, v);
        return (k, v);
    }

    /// <summary>Called once per forward, after every layer appended: the new length.</summary>
    internal void Advance(int positions) => Length += positions;

    /// <summary>Keeps rows <paramref name="rows"/> ([rows'] int64) of every layer, in that order.</summary>
    public void Reorder(Tensor rows)
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            if (_keys[l] is null) continue;
            Replace(l, _keys[l]!.index_select(0, rows), _values[l]!.index_select(0, rows));
        }
    }

    private void Replace(int layer, Tensor k, Tensor v)
    {
        k.DetachFromDisposeScope();
        v.DetachFromDisposeScope();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = k;
        _values[layer] = v;
    }

    public void Dispose()
    {
        for (int l = 0; l < _keys.Length; l++)
        {
            _keys[l]?.Dispose();
            _values[l]?.Dispose();
            _keys[l] = _values[l] = null;
        }
    }
}
