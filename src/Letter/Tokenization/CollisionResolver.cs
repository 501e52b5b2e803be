namespace Letter.Tokenization;

/// <summary>What collision resolution changed: per level, the number of items whose shallowest changed code is at that level.</summary>
/// <param name="ChangedAtLevel">[L]: items re-coded from level l downwards (l = L-1 means only the last code changed)</param>
/// <param name="MeanExtraError">mean increase of ||z - z_q||^2 over the re-coded items</param>
public sealed record ResolutionResult(int[][] Codes, int[] ChangedAtLevel, int ItemsChanged, double MeanExtraError);

/// <summary>
/// Makes every identifier unique, deterministically, keeping each item as close to its own codes as
/// possible. In every group of items sharing an identifier (groups in order of their lowest item
/// id), the item with the smallest quantization error ||z - z_q||^2 keeps it (ties: lowest id); the
/// others, in order of error, move to the nearest free identifier that keeps the longest prefix:
/// first the last level's codes in order of distance to the item's last residual, then (only when
/// every last code under that prefix is taken) a different code one level up, nearest first, with
/// the levels below completed by nearest free codes, and so on upwards. Identical input vectors
/// therefore still get distinct identifiers.
/// </summary>
public static class CollisionResolver
{
    /// <param name="codes">[N][L] identifiers to make unique (not modified)</param>
    /// <param name="latents">z [N, dim], row-major</param>
    /// <param name="codebooks">per level [K_l, dim], row-major</param>
    /// <param name="occupied">identifiers already owned elsewhere (for example by a saved index); nobody may take them</param>
    public static ResolutionResult Resolve(int[][] codes, float[] latents, IReadOnlyList<float[]> codebooks, int dim,
        IReadOnlySet<string>? occupied = null)
    {
        int n = codes.Length, levels = codebooks.Count;
        var sizes = codebooks.Select(c => c.Length / dim).ToArray();
        double capacity = sizes.Aggregate(1.0, (a, k) => a * k);
        if (n + (occupied?.Count ?? 0) > capacity)
            throw new ArgumentException($"{n} items cannot get distinct identifiers from {capacity} possible ones");

        var result = codes.Select(c => (int[])c.Clone()).ToArray();
        var groups = new Dictionary<string, List<int>>();
        var firstSeen = new List<string>();
        for (int i = 0; i < n; i++)
        {
            var key = Key(result[i]);
            if (!groups.TryGetValue(key, out var list)) { groups[key] = list = []; firstSeen.Add(key); }
            list.Add(i);
        }
        var taken = new HashSet<string>(groups.Keys);
        if (occupied is not null) taken.UnionWith(occupied);

        var changed = new int[levels];
        int moved = 0;
        double extra = 0;
        foreach (var key in firstSeen)
        {
            var members = groups[key];
            bool ownedElsewhere = occupied?.Contains(key) == true;
            if (members.Count == 1 && !ownedElsewhere) continue;
            var byError = members
                .Select(i => (Item: i, Error: Error(latents, i, dim, result[i], codebooks)))
                .OrderBy(m => m.Error).ThenBy(m => m.Item).ToList();
            foreach (var (item, error) in byError.Skip(ownedElsewhere ? 0 : 1))
            {
                int level = Relocate(latents, item, dim, result[item], codebooks, sizes, taken);
                taken.Add(Key(result[item]));
                changed[level]++;
                moved++;
                extra += Error(latents, item, dim, result[item], codebooks) - error;
            }
        }
        return new ResolutionResult(result, changed, moved, moved == 0 ? 0 : extra / moved);
    }

    public static string Key(int[] code) => string.Join(',', code);

    /// <summary>Rewrites <paramref name="code"/> to a free identifier; returns the shallowest level that changed.</summary>
    private static int Relocate(float[] latents, int item, int dim, int[] code, IReadOnlyList<float[]> codebooks,
        int[] sizes, HashSet<string> taken)
    {
        int levels = codebooks.Count;
        var original = (int[])code.Clone();
        for (int level = levels - 1; level >= 0; level--)
        {
            var residual = Residual(latents, item, dim, original, codebooks, level);
            var work = (int[])original.Clone();
            foreach (int c in ByDistance(residual, codebooks[level], sizes[level], dim))
            {
                if (c == original[level]) continue; // keeping it was tried one level deeper
                work[level] = c;
                if (Complete(work, level + 1, Subtract(residual, codebooks[level], c, dim), codebooks, sizes, dim, taken))
                {
                    Array.Copy(work, code, levels);
                    return level;
                }
            }
        }
        throw new InvalidOperationException("no free identifier left"); // excluded by the capacity check
    }

    /// <summary>Fills levels from <paramref name="level"/> on with the nearest codes that give a free identifier (depth first).</summary>
    private static bool Complete(int[] work, int level, double[] residual, IReadOnlyList<float[]> codebooks, int[] sizes,
        int dim, HashSet<string> taken)
    {
        if (level == codebooks.Count) return !taken.Contains(Key(work));
        foreach (int c in ByDistance(residual, codebooks[level], sizes[level], dim))
        {
            work[level] = c;
            if (Complete(work, level + 1, Subtract(residual, codebooks[level], c, dim), codebooks, sizes, dim, taken)) return true;
        }
        return false;
    }

    /// <summary>The residual entering <paramref name="level"/>: z minus the codes of the levels above.</summary>
    private static double[] Residual(float[] latents, int item, int dim, int[] code, IReadOnlyList<float[]> codebooks, int level)
    {
        var r = new double[dim];
        for (int j = 0; j < dim; j++) r[j] = latents[item * dim + j];
        for (int l = 0; l < level; l++) r = Subtract(r, codebooks[l], code[l], dim);
        return r;
    }

    private static double[] Subtract(double[] r, float[] codebook, int code, int dim)
    {
        var next = new double[dim];
        for (int j = 0; j < dim; j++) next[j] = r[j] - codebook[code * dim + j];
        return next;
    }

    private static int[] ByDistance(double[] r, float[] codebook, int k, int dim)
    {
        var d = new double[k];
        for (int c = 0; c < k; c++)
        {
            double s = 0;
            for (int j = 0; j < dim; j++)
            {
                double t = r[j] - codebook[c * dim + j];
                s += t * t;
            }
            d[c] = s;
        }
        return Enumerable.Range(0, k).OrderBy(c => d[c]).ThenBy(c => c).ToArray(); // ties: lower code first
    }

    private static double Error(float[] latents, int item, int dim, int[] code, IReadOnlyList<float[]> codebooks)
    {
        var r = Residual(latents, item, dim, code, codebooks, codebooks.Count);
        double s = 0;
        foreach (var v in r) s += v * v;
        return s;
    }
}
