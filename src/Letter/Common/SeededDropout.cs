using System.Buffers;
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
        var mask = x.dtype is ScalarType.Float32 or ScalarType.BFloat16
            ? ScaledMask(x.shape, x.dtype)
            : KeepMask(x.shape).to_type(x.dtype).mul_(Scale);
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
        float scale = (float)Scale;
        ushort scaleBf16 = RoundToBFloat16(scale);
        var mask = empty(shape, type);
        int chunks = (n + ChunkElements - 1) / ChunkElements;
        int threshold = _threshold;
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) };
        Parallel.For(0, chunks, options, () => ArrayPool<byte>.Shared.Rent(ChunkElements), (c, _, keep) =>
        {
            int start = c * ChunkElements, length = Math.Min(ChunkElements, n - start);
            var chunk = keep.AsSpan(0, length);
            Fill(chunk, Mix(callKey + (ulong)c * Increment), threshold);
            var storage = mask.bytes;
            if (type == ScalarType.Byte) chunk.CopyTo(storage.Slice(start, length));
            else if (type == ScalarType.Float32) Write(storage, start, chunk, scale);
            else Write(storage, start, chunk, scaleBf16);
            return keep;
        }, keep => ArrayPool<byte>.Shared.Return(keep));
        return mask;
    }

    /// <summary>Elements start.. of a mask's storage: <paramref name="kept"/> where <paramref name="keep"/> is 1, else 0.</summary>
    private static void Write<T>(Span<byte> storage, int start, ReadOnlySpan<byte> keep, T kept) where T : unmanaged
    {
        var values = MemoryMarshal.Cast<byte, T>(storage).Slice(start, keep.Length);
        for (int i = 0; i < keep.Length; i++) values[i] = keep[i] != 0 ? kept : default;
    }

    /// <summary>bfloat16 bits of <paramref name="value"/>, rounded to nearest even as libtorch rounds (finite values).</summary>
    private static ushort RoundToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    /// <summary>
    /// One chunk of keep bytes from the stream that starts after <paramref name="state"/>: word w of
    /// the chunk is draw w + 1, its four 16-bit lanes (low first) giving four bytes. Draws are
    /// independent given their counter, so eight are mixed at once where AVX-512 is available; the
    /// bytes are the same either way.
    /// </summary>
    internal static void Fill(Span<byte> chunk, ulong state, int threshold)
    {
        var words = MemoryMarshal.Cast<byte, uint>(chunk); // four mask bytes per 64-bit draw
        int w = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var counters = Vector512.Create(state) + Vector512.Create(1UL, 2, 3, 4, 5, 6, 7, 8) * Increment;
            var stride = Vector512.Create(unchecked(8 * Increment));
            var lowest = Vector512.Create((ushort)threshold);
            for (; w + 8 <= words.Length; w += 8, counters += stride)
            {
                var keep = Vector512.GreaterThanOrEqual(MixLanes(counters).AsUInt16(), lowest) & Vector512<ushort>.One;
                Vector512.Narrow(keep, Vector512<ushort>.Zero).GetLower().CopyTo(chunk.Slice(w * 4, 32));
            }
            state += (ulong)w * Increment;
        }
        for (; w < words.Length; w++)
        {
            ulong z = Mix(state += Increment);
            words[w] = Keep(z, threshold) | Keep(z >> 16, threshold) << 8 | Keep(z >> 32, threshold) << 16 | Keep(z >> 48, threshold) << 24;
        }
        int tail = words.Length * 4;
        if (tail < chunk.Length)
        {
            ulong z = Mix(state + Increment);
            for (int i = tail; i < chunk.Length; i++, z >>= 16) chunk[i] = (byte)Keep(z, threshold);
        }
    }

    /// <summary><see cref="SplitMix64.Mix"/> on eight counters at once.</summary>
    private static Vector512<ulong> MixLanes(Vector512<ulong> z)
    {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >>> 31);
    }

    private static uint Keep(ulong lanes, int threshold) => (int)(lanes & 0xFFFF) >= threshold ? 1u : 0u;
}
