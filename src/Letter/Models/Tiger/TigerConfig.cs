using Letter.Common;

namespace Letter.Models.Tiger;

/// <summary>
/// Everything a TIGER run depends on. Model defaults are LETTER-TIGER's T5 (4+4 layers, d_model 128,
/// d_ff 1024, 6 heads of 64, 32 relative-position buckets up to distance 128, dropout 0.1); training
/// defaults are the paper's (AdamW lr 5e-4, weight decay 0.01, 1% warm-up then cosine, beam 20,
/// history 20, tau 0.7 as on Instruments).
/// </summary>
public sealed record TigerConfig
{
    public int DModel { get; init; } = 128;
    public int DFf { get; init; } = 1024;
    public int DKv { get; init; } = 64;
    public int Heads { get; init; } = 6;
    public int EncoderLayers { get; init; } = 4;
    public int DecoderLayers { get; init; } = 4;
    public int RelativeBuckets { get; init; } = 32;
    public int RelativeMaxDistance { get; init; } = 128;
    public double Dropout { get; init; } = 0.1;
    public double LayerNormEpsilon { get; init; } = 1e-6;
    /// <summary>
    /// Vocabulary rows beyond pad, end-of-sequence and the codes, never read or generated. The original
    /// LETTER-TIGER adds the codes to T5's 32,100-token text vocabulary, so 32,098 here gives its
    /// embedding table and softmax width; 0 is the codes-only vocabulary of the TIGER paper.
    /// </summary>
    public int TextTokens { get; init; }

    public int MaxHistory { get; init; } = 20;
    /// <summary>Ranking-guided generation loss temperature; 1 is plain TIGER.</summary>
    public double Temperature { get; init; } = 0.7;
    public int Epochs { get; init; } = 200;
    public int BatchSize { get; init; } = 256;
    /// <summary>
    /// Batches whose gradients make one optimizer step. The paper's effective batch is 1,024: 256 per
    /// GPU x 2 GPUs x 2 accumulation steps, i.e. <c>BatchSize</c> 256 with 4 here.
    /// </summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>
    /// How an epoch is cut into batches. <see cref="TigerBatching.ByLength"/> (default) holds one input
    /// length per batch, so nothing is padded; <see cref="TigerBatching.Random"/> draws batches from
    /// all samples and pads each to its longest input, as the original's Hugging Face Trainer does
    /// (about 3.5x the encoder work on Instruments).
    /// </summary>
    public TigerBatching Batching { get; init; } = TigerBatching.ByLength;
    public double LearningRate { get; init; } = 5e-4;
    /// <summary>AdamW weight decay of the embeddings and projections; layer norms and position biases get none, as in Hugging Face's Trainer.</summary>
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.01;
    public double GradientClip { get; init; } = 1.0;
    /// <summary>Epochs without a better validation score (<see cref="SelectBy"/>) before training stops.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>
    /// What the best checkpoint and early stopping go by: NDCG@10 of decoded beams (the reported
    /// metric), or the teacher-forced validation loss, as the original LETTER-TIGER's Trainer does.
    /// </summary>
    public TigerSelection SelectBy { get; init; } = TigerSelection.Ndcg;
    /// <summary>
    /// Validation users sampled (fixed by the seed) for the per-epoch check (NDCG@10 and loss); 0 means
    /// all. A sampled run selected by NDCG@10 ends with <see cref="FinalSelection"/> on all of them.
    /// </summary>
    public int ValidationUsers { get; init; } = 2000;
    /// <summary>Total training minutes not to exceed (0 = no limit): no epoch starts that, judged by the last one, would end later; the schedule still spans <see cref="Epochs"/>.</summary>
    public double TimeBudgetMinutes { get; init; }
    /// <summary>Minutes between mid-epoch checkpoints (an epoch end always writes one).</summary>
    [RunOnly] public double CheckpointMinutes { get; init; } = 5;
    /// <summary>
    /// Beam width of decoding. Run-only: a finished model is re-evaluated, not retrained, when it
    /// changes; the per-epoch validation decodes with it too, so a run resumed under another beam
    /// picks its best epoch by that beam from then on.
    /// </summary>
    [RunOnly] public int Beam { get; init; } = 20;
    /// <summary>Users decoded together in evaluation.</summary>
    [RunOnly] public int EvalBatchUsers { get; init; } = 64;
    public int Seed { get; init; } = 42;
    /// <summary>Torch threads (run-only: results agree up to float rounding across thread counts).</summary>
    [RunOnly] public int Threads { get; init; } = 2;
    /// <summary>Matrix products in bfloat16 with fp32 master weights, optimizer, norms, softmax and loss (off: the paper's fp32).</summary>
    public bool Bf16 { get; init; }

    public void Validate()
    {
        static void Positive(string name, double v) { if (!(v > 0)) throw new ArgumentException($"{name} must be positive (got {v})"); }
        Positive("d_model", DModel); Positive("d_ff", DFf); Positive("d_kv", DKv); Positive("heads", Heads);
        Positive("encoder layers", EncoderLayers); Positive("decoder layers", DecoderLayers);
        Positive("relative buckets", RelativeBuckets); Positive("max history", MaxHistory);
        Positive("temperature", Temperature); Positive("epochs", Epochs); Positive("batch size", BatchSize);
        Positive("gradient accumulation", GradientAccumulation);
        Positive("learning rate", LearningRate); Positive("beam", Beam); Positive("threads", Threads);
        Positive("eval batch users", EvalBatchUsers);
        if (Dropout is < 0 or >= 1) throw new ArgumentException($"dropout must be in [0, 1) (got {Dropout})");
        if (WarmupFraction is < 0 or > 1) throw new ArgumentException($"warm-up fraction must be in [0, 1] (got {WarmupFraction})");
        if (Patience < 1) throw new ArgumentException($"patience must be at least 1 (got {Patience})");
        if (TextTokens < 0) throw new ArgumentException($"text tokens must be 0 or more (got {TextTokens})");
        if (ValidationUsers < 0) throw new ArgumentException($"validation users must be 0 (all) or more (got {ValidationUsers})");
    }
}

/// <summary>What the best epoch is chosen by (see <see cref="TigerConfig.SelectBy"/>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<TigerSelection>))]
public enum TigerSelection
{
    /// <summary>Highest NDCG@10 on the validation users (a sampled run ends with <see cref="FinalSelection"/>).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("ndcg")] Ndcg,
    /// <summary>Lowest teacher-forced loss on the validation users.</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("loss")] Loss,
}

/// <summary>How training samples are cut into batches (see <see cref="TigerConfig.Batching"/>).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<TigerBatching>))]
public enum TigerBatching
{
    [System.Text.Json.Serialization.JsonStringEnumMemberName("by-length")] ByLength,
    [System.Text.Json.Serialization.JsonStringEnumMemberName("random")] Random,
}
