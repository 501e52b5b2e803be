using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>Identifiers at each stage of assignment, for the report.</summary>
/// <param name="Nearest">nearest codes at every level</param>
/// <param name="AfterSinkhorn">after the original's Sinkhorn rounds on colliding groups</param>
/// <param name="Final">after collision resolution (equal to AfterSinkhorn when it is off)</param>
public sealed record AssignmentResult(int[][] Nearest, int[][] AfterSinkhorn, int SinkhornRoundsRun, int[][] Final, ResolutionResult? Resolution);

/// <summary>
/// Turns latents into identifiers as the original generate_indices.py does (nearest codes, then up to
/// R rounds in which every group of items sharing an identifier is re-coded together with Sinkhorn at
/// the levels whose epsilon is positive), then, optionally, <see cref="CollisionResolver"/>.
/// </summary>
public static class IdentifierAssigner
{
    public static AssignmentResult Assign(float[] latents, int rows, IReadOnlyList<float[]> codebooks, int dim,
        TokenizerConfig config, IReadOnlySet<string>? occupied = null)
    {
        var nearest = Codes(latents, Enumerable.Range(0, rows).ToArray(), codebooks, dim, null, 0);
        var codes = nearest.Select(c => (int[])c.Clone()).ToArray();
        int rounds = 0;
        bool anyEpsilon = config.SinkhornEpsilons.Any(e => e > 0);
        // Re-coding a group depends only on its members, so a group seen in an earlier round gets
        // the same codes again: remember them instead of recomputing (same result as the original).
        var seen = new Dictionary<string, int[][]>();
        while (anyEpsilon && rounds < config.SinkhornRounds)
        {
            var groups = CollidingGroups(codes);
            if (groups.Count == 0) break;
            foreach (var group in groups)
            {
                var key = string.Join(',', group);
                if (!seen.TryGetValue(key, out var recoded))
                    seen[key] = recoded = Codes(latents, group, codebooks, dim, config.SinkhornEpsilons, config.SinkhornIterations);
                for (int g = 0; g < group.Length; g++) codes[group[g]] = (int[])recoded[g].Clone();
            }
            rounds++;
        }
        var afterSinkhorn = codes.Select(c => (int[])c.Clone()).ToArray();
        ResolutionResult? resolution = null;
        if (config.ResolveCollisions)
        {
            resolution = CollisionResolver.Resolve(codes, latents, codebooks, dim, occupied);
            codes = resolution.Codes;
        }
        return new AssignmentResult(nearest, afterSinkhorn, rounds, codes, resolution);
    }

    /// <summary>Groups (of at least 2 items) sharing an identifier, each ascending, in order of their first item.</summary>
    public static List<int[]> CollidingGroups(int[][] codes)
    {
        var groups = new Dictionary<string, List<int>>();
        var order = new List<string>();
        for (int i = 0; i < codes.Length; i++)
        {
            var key = CollisionResolver.Key(codes[i]);
            if (!groups.TryGetValue(key, out var list)) { groups[key] = list = []; order.Add(key); }
            list.Add(i);
        }
        return order.Where(k => groups[k].Count > 1).Select(k => groups[k].ToArray()).ToList();
    }

    /// <summary>Codes of the given items: nearest per level, Sinkhorn over these items where epsilon &gt; 0.</summary>
    public static int[][] Codes(float[] latents, int[] items, IReadOnlyList<float[]> codebooks, int dim,
        IReadOnlyList<double>? epsilons, int sinkhornIterations, int batch = 8192)
    {
        var result = new int[items.Length][];
        bool balanced = epsilons?.Any(e => e > 0) == true;
        // Sinkhorn couples the items of one call, so balanced assignment is never split into batches.
        int step = balanced ? items.Length : batch;
        using var _ = no_grad();
        for (int start = 0; start < items.Length; start += step)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(step, items.Length - start);
            var rows = new float[count * dim];
            for (int i = 0; i < count; i++) Array.Copy(latents, items[start + i] * dim, rows, i * dim, dim);
            var residual = tensor(rows, [count, dim]);
            var perLevel = new long[codebooks.Count][];
            for (int l = 0; l < codebooks.Count; l++)
            {
                var codebook = tensor(codebooks[l], [codebooks[l].Length / dim, dim]);
                var ids = ResidualQuantizer.Choose(residual, codebook, epsilons?[l] ?? 0, sinkhornIterations);
                perLevel[l] = ids.data<long>().ToArray();
                residual = residual - codebook.index_select(0, ids);
            }
            for (int i = 0; i < count; i++)
                result[start + i] = Enumerable.Range(0, codebooks.Count).Select(l => (int)perLevel[l][i]).ToArray();
        }
        return result;
    }
}
