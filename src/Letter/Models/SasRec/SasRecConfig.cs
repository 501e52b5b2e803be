using Letter.Common;

namespace Letter.Models.SasRec;

/// <summary>Training objective of SASRec.</summary>
public enum SasRecLoss
{
    /// <summary>Full softmax cross-entropy over all items at every position (the stronger, modern baseline).</summary>
    CrossEntropy,

    /// <summary>Binary cross-entropy: the target against one sampled negative per position (the 2018 paper).</summary>
    BinaryCrossEntropy,
}

/// <summary>
/// SASRec (Kang and McAuley 2018) settings. Defaults follow the paper's Amazon setting (maximum length
/// 50, 2 blocks, 1 head, dropout 0.5, Adam at 1e-3 with betas 0.9/0.98, batch 128) with LETTER's
/// dimension 32 and full softmax cross-entropy instead of the paper's sampled BCE.
/// </summary>
public sealed record SasRecConfig
{
    public int Dim { get; init; } = 32;
    public int Blocks { get; init; } = 2;
    public int Heads { get; init; } = 1;
    public int MaxLen { get; init; } = 50;
    public double Dropout { get; init; } = 0.5;
    public SasRecLoss Loss { get; init; } = SasRecLoss.CrossEntropy;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0;
    public int BatchSize { get; init; } = 128;

    /// <summary>Upper bound on epochs; training stops earlier when validation NDCG@10 stops improving.</summary>
    public int Epochs { get; init; } = 200;

    /// <summary>Epochs without a better validation NDCG@10 before stopping; 0 = never stop early.</summary>
    public int Patience { get; init; } = 10;

    public int Seed { get; init; } = 42;
    /// <summary>
    /// Torch threads. One by default: at dimension 32 each op is too small for intra-op parallelism to pay,
    /// and on a shared 2-core machine a second thread made training steps about 5x slower (notes-embeddings.md).
    /// </summary>
    [RunOnly] public int Threads { get; init; } = 1;

    public void Validate()
    {
        if (Dim < 1) throw new ArgumentException($"dim must be positive (got {Dim})");
        if (Heads < 1 || Dim % Heads != 0) throw new ArgumentException($"dim {Dim} must be divisible by heads {Heads}");
        if (Blocks < 1) throw new ArgumentException($"blocks must be at least 1 (got {Blocks})");
        if (MaxLen < 1) throw new ArgumentException($"max length must be at least 1 (got {MaxLen})");
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1) (got {Dropout})");
        if (LearningRate <= 0) throw new ArgumentException($"learning rate must be positive (got {LearningRate})");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1 (got {BatchSize})");
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1 (got {Epochs})");
        if (Patience < 0) throw new ArgumentException($"patience must not be negative (got {Patience})");
        if (Threads < 1) throw new ArgumentException($"threads must be at least 1 (got {Threads})");
    }
}
