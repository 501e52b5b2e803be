namespace Letter.Common;

/// <summary>
/// A small seeded generator (SplitMix64) for every non-tensor random choice. Its sequence is fixed
/// by this code alone, so the same seed gives the same output on any runtime version.
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    /// <summary>The state's step per draw (2^64 / golden ratio).</summary>
    public const ulong Increment = 0x9E3779B97F4A7C15UL;

    private ulong _state = seed;

    public ulong NextUInt64() => Mix(_state += Increment);

    /// <summary>SplitMix64's output function: a bijective 64-bit mixer.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n)
    {
        if (n <= 0) throw new ArgumentOutOfRangeException(nameof(n));
        return (int)(NextDouble() * n);
    }

    public T Pick<T>(IReadOnlyList<T> list) => list[Next(list.Count)];

    public void Shuffle<T>(IList<T> list)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>Index drawn with probability proportional to <paramref name="cumulative"/>'s increments.</summary>
    public int PickWeighted(IReadOnlyList<double> cumulative)
    {
        double u = NextDouble() * cumulative[^1];
        int lo = 0, hi = cumulative.Count - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (cumulative[mid] > u) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
