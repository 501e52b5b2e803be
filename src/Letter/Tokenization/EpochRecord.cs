namespace Letter.Tokenization;

/// <summary>
/// One training epoch: mean over batches of each loss term, wall time, and, when it was measured
/// this epoch, the collision rate of nearest-code identifiers over all items and the number of
/// distinct codes they use per level (a collapsing level shows here long before the final report),
/// their entropy per level in bits, and the mean lengths ||z|| of the latents and ||z_q|| of their
/// quantized vectors (the collaborative loss's raw dot products grow with them), and the codes
/// moved per level by <see cref="DeadCodeRevival"/> at the end of the epoch.
/// </summary>
public sealed record EpochRecord(
    int Epoch,
    double Loss,
    double Reconstruction,
    double Quantization,
    double Collaborative,
    double Diversity,
    double ClusteringSeconds,
    double Seconds,
    double? CollisionRate,
    int[]? CodesUsed = null,
    double[]? EntropyBits = null,
    double? LatentNorm = null,
    double? QuantizedNorm = null,
    int[]? CodesRevived = null);
