using TorchSharp;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static Letter.Common.SplitMix64;
using static TorchSharp.torch;

namespace Letter.Common;

/// <summary>
/// Inverted dropout whose masks are drawn in managed code from a counter-based generator. libtorch's
/// own masks (bernoulli_) take a serial one-draw-per-element path on CPUs other than Intel's; on this
/// project's AMD machine they were ~40% of a TIGER training step. Here each chunk of 65,536 elements
/// gets its own SplitMix64 stream keyed by (seed, call number, chunk number), so the chunks fill in
/// parallel and the masks depend only on the seed and the order of calls, not on the thread count.
/// </summary>
/// <remarks>
/// A 64-bit draw gives four 16-bit lanes; an element is dropped when its lane is below
/// round(p * 65536). The kept elements are scaled by 65536 / (65536 - threshold), the inverse of the
/// realised keep probability, so the mask's mean is exactly 1 (1 / (1 - p) up to 2^-16 in p).
/// </remarks>
public sealed class SeededDropout
{
    private const int ChunkElements = 1 << 16;

    private readonly int _threshold;
    private ulong _seed;
    private ulong _calls;

    public SeededDropout(double rate, ulong seed = 0)
    {
        if (rate is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(rate), $"dropout must be in [0, 1) (got {rate})");
        Rate = rate;
        _threshold = (int)Math.Min(Math.Round(rate * 65536), 65535);
        Scale = 65536.0 / (65536 - _threshold);
        _seed = seed;
    }

    public double Rate { get; }

    /// <summary>The factor applied to kept elements.</summary>
    public double Scale { get; }

    /// <summary>Restarts the mask sequence: the masks after a reseed depend only on <paramref name="seed"/>.</summary>
    public void Reseed(ulong seed)
    {
        _seed = seed;
        _calls = 0;
    }

    /// <summary>x scaled by a fresh mask when training; x itself otherwise.</summary>
    public Tensor Apply(Tensor x, bool training)
    {
        if (!training || _threshold == 0) return x;
        using var scope = NewDisposeScope();
        using var scale = Scale.ToScalar();
        var mask = x.dtype is ScalarType.Float32 or ScalarType.BFloat16
            ? ScaledMask(x.shape, x.dtype)
            : KeepMask(x.shape).to_type(x.dtype).mul_(scale);
        if (x.device_type != TorchSharp.DeviceType.CPU) mask = mask.to(x.device);
        return x.mul(mask).MoveToOuterDisposeScope();
    }

    /// <summary>A uint8 tensor of the given shape: 1 = keep, 0 = drop. Advances the call counter.</summary>
    public Tensor KeepMask(long[] shape) => Draw(shape, ScalarType.Byte);

    /// <summary>
    /// The same mask as <see cref="KeepMask"/> with the scale applied, in float32 or bfloat16: 0 or
    /// Scale rounded to the type, as KeepMask(shape).to_type(type).mul_(Scale) would give, written
    /// in one parallel pass (at short TIGER inputs the cast and multiply passes cost more than the draw).
    /// </summary>
    public Tensor ScaledMask(long[] shape, ScalarType type)
    {
        if (type is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"a scaled dropout mask is float32 or bfloat16 (got {type})");
        return Draw(shape, type);
    }

    private Tensor Draw(long[] shape, ScalarType type)
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count > Array.MaxLength) throw new ArgumentException($"dropout over {count} elements in one tensor is more than a mask buffer holds");
        ulong callKey = Mix(_seed ^ Mix(++_calls * Increment));
        int n = (int)count;
        uint scaleBits = BitConverter.SingleToUInt32Bits((float)Scale);
        ushort scaleBf16 = RoundToBFloat16((float)Scale);
        var mask = empty(shape, type, device: CPU); // drawn in host memory; Apply moves it to its input's device
        int chunks = (n + ChunkElements - 1) / ChunkElements;
        int threshold = _threshold;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) };
        Parallel.For(0, chunks, options, c =>
        {
            int start = c * ChunkElements, length = Math.Min(ChunkElements, n - start);
            ulong state = Mix(callKey + (ulong)c * Increment);
            var storage = mask.bytes;
            if (type == ScalarType.Byte) Fill(new ByteSink(storage.Slice(start, length)), state, threshold);
            else if (type == ScalarType.Float32) Fill(new BitsSink<uint>(MemoryMarshal.Cast<byte, uint>(storage).Slice(start, length), scaleBits), state, threshold);
            else Fill(new BitsSink<ushort>(MemoryMarshal.Cast<byte, ushort>(storage).Slice(start, length), scaleBf16), state, threshold);
        });
        return mask;
    }

    /// <summary>bfloat16 bits of <paramref name="value"/>, rounded to nearest even as libtorch rounds (finite values).</summary>
    private static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>
    /// One chunk of keep bytes from the stream that starts after <paramref name="state"/>: word w of
    /// the chunk is draw w + 1, its four 16-bit lanes (low first) giving four bytes.
    /// </summary>
    internal static void Fill(Span<byte> chunk, ulong state, int threshold) => Fill(new ByteSink(chunk), state, threshold);

    /// <summary>
    /// Draws a chunk's keep decisions (as <see cref="Fill(Span{byte}, ulong, int)"/> orders them) into
    /// <paramref name="sink"/>. Draws are independent given their counter, so eight are mixed at once
    /// where AVX-512 is available, and the sink stores 32 decisions at a time; the values are the same either way.
    /// </summary>
    private static void Fill<TSink>(TSink sink, ulong state, int threshold) where TSink : IKeepSink, allows ref struct
    {
        int length = sink.Length, words = length / 4, w = 0; // four decisions per 64-bit draw
        if (Vector512.IsHardwareAccelerated)
        {
            var counters = Vector512.Create(state) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Increment;
            var stride = Vector512.Create(unchecked(8 * Increment));
            var lowest = Vector512.Create((ushort)threshold);
            for (; w + 8 <= words; w += 8, counters += stride)
                sink.Put32(w * 4, Vector512.GreaterThanOrEqual(MixLanes(counters).AsUInt16(), lowest));
            state += (ulong)w * Increment;
        }
        for (; w < words; w++)
        {
            ulong z = Mix(state += Increment);
            for (int lane = 0; lane < 4; lane++, z >>= 16) sink.Put(w * 4 + lane, Keeps(z, threshold));
        }
        if (words * 4 < length)
        {
            ulong z = Mix(state + Increment);
            for (int i = words * 4; i < length; i++, z >>= 16) sink.Put(i, Keeps(z, threshold));
        }
    }

    /// <summary>Where a chunk's keep decisions go: 32 at a time (a lane of all ones keeps) or one by one.</summary>
    private interface IKeepSink
    {
        int Length { get; }
        void Put32(int index, Vector512<ushort> keep);
        void Put(int index, bool keep);
    }

    /// <summary>Keep bytes: 1 keeps, 0 drops.</summary>
    private readonly ref struct ByteSink(Span<byte> bytes) : IKeepSink
    {
        private readonly Span<byte> _bytes = bytes;

        public int Length => _bytes.Length;

        public void Put32(int index, Vector512<ushort> keep) =>
            Vector512.Narrow(keep & Vector512<ushort>.One, Vector512<ushort>.Zero).GetLower().CopyTo(_bytes.Slice(index, 32));

        public void Put(int index, bool keep) => _bytes[index] = keep ? (byte)1 : (byte)0;
    }

    /// <summary>Mask values as raw bits (float32 in uint, bfloat16 in ushort): the scale where kept, 0 where dropped.</summary>
    private readonly ref struct BitsSink<T>(Span<T> values, T kept) : IKeepSink where T : unmanaged, IBinaryInteger<T>
    {
        private readonly Span<T> _values = values;
        private readonly T _kept = kept;

        public int Length => _values.Length;

        public void Put32(int index, Vector512<ushort> keep)
        {
            if (typeof(T) == typeof(ushort))
            {
                (keep & Vector512.Create(_kept).As<T, ushort>()).As<ushort, T>().CopyTo(_values.Slice(index, 32));
                return;
            }
            // sign extension turns each all-ones 16-bit lane into an all-ones 32-bit one
            var (lower, upper) = Vector512.Widen(keep.AsInt16());
            var kept = Vector512.Create(_kept).As<T, int>();
            (lower & kept).As<int, T>().CopyTo(_values.Slice(index, 16));
            (upper & kept).As<int, T>().CopyTo(_values.Slice(index + 16, 16));
        }

        public void Put(int index, bool keep) => _values[index] = keep ? _kept : T.Zero;
    }

    /// <summary><see cref="SplitMix64.Mix"/> on eight counters at once.</summary>
    private static Vector512<ulong> MixLanes(Vector512<ulong> z)
    {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >>> 31);
    }

    private static bool Keeps(ulong lanes, int threshold) => (int)(lanes & 0xFFFF) >= threshold;
}
