using Letter.Common;
using static TorchSharp.torch;

namespace Letter.Tokenization;

/// <summary>
/// Brings back codes that no item chose during an epoch. A code that loses all its items gets no
/// gradient from the codebook loss, so once the encoder moves the latents away from where k-means put
/// the codebook, it stays dead for good: this is how level 1 collapses (docs/tokenizer.md, "The first
/// level"). Each dead code is moved onto the current residual, at its level, of an item drawn at
/// random, so crowded regions get the new codes (the codebook-expiry rule of SoundStream and Jukebox).
/// </summary>
public sealed class DeadCodeRevival
{
    private readonly long[][] _counts; // [level][code] choices this epoch
    private readonly SplitMix64 _rng;

    public DeadCodeRevival(IReadOnlyList<int> codebookSizes, ulong seed)
    {
        _counts = codebookSizes.Select(k => new long[k]).ToArray();
        _rng = new SplitMix64(seed);
    }

    /// <summary>Counts the codes of one training batch. <paramref name="codes"/>: [B, L] int64.</summary>
    public void Count(Tensor codes)
    {
        using var scope = NewDisposeScope();
        var flat = codes.contiguous().data<long>().ToArray();
        int levels = _counts.Length;
        for (int i = 0; i < flat.Length; i++) _counts[i % levels][flat[i]]++;
    }

    /// <summary>Codes not chosen since the last call, per level.</summary>
    public int[][] DeadCodes() =>
        _counts.Select(c => Enumerable.Range(0, c.Length).Where(k => c[k] == 0).ToArray()).ToArray();

    /// <summary>
    /// Moves every dead code onto the level's residual of a distinct random item, then starts the
    /// next epoch's count. Returns how many codes moved per level.
    /// </summary>
    /// <param name="x">all item inputs [N, D]</param>
    public int[] Revive(RqVae model, Tensor x, IReadOnlyList<double>? epsilons, int sinkhornIterations, IReadOnlyList<double>? balances = null)
    {
        var dead = DeadCodes();
        var moved = dead.Select(d => d.Length).ToArray();
        foreach (var c in _counts) Array.Clear(c);
        int needed = moved.Max();
        if (needed == 0) return moved;
        int n = (int)x.shape[0];
        var items = DrawDistinct(n, Math.Min(needed, n));
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        bool wasTraining = model.training;
        model.eval();
        var residual = model.Encode(x.index_select(0, tensor(items.Select(i => (long)i).ToArray()))); // [m, Dz]
        for (int l = 0; l < model.Quantizer.Levels; l++)
        {
            var codebook = model.Quantizer.Codebook(l);
            if (dead[l].Length > 0)
            {
                // Items beyond the sample size wrap around (only when a level has more dead codes than items).
                var rows = tensor(Enumerable.Range(0, dead[l].Length).Select(i => (long)(i % items.Length)).ToArray());
                codebook.index_copy_(0, tensor(dead[l].Select(c => (long)c).ToArray()), residual.index_select(0, rows));
            }
            var ids = ResidualQuantizer.Choose(residual, codebook, epsilons?[l] ?? 0, sinkhornIterations, balances?[l] ?? 1);
            residual = residual - codebook.index_select(0, ids);
        }
        model.train(wasTraining);
        return moved;
    }

    private int[] DrawDistinct(int n, int count)
    {
        var chosen = new HashSet<int>();
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            int item;
            do item = _rng.Next(n); while (!chosen.Add(item));
            result[i] = item;
        }
        return result;
    }
}
