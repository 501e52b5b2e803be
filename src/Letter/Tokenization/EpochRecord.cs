namespace Letter.Tokenization;

/// <summary>
/// One training epoch: mean over batches of each loss term, wall time, and the collision rate of
/// nearest-code identifiers over all items when it was measured this epoch.
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
    double? CollisionRate);
