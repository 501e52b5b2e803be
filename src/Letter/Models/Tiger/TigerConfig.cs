using Letter.Common;
using Letter.Training;

namespace Letter.Models.Tiger;

/// <summary>
/// Everything a TIGER run depends on. Model defaults are LETTER-TIGER's T5 (4+4 layers, d_model 128,
/// d_ff 1024, 6 heads of 64, 32 relative-position buckets up to distance 128, dropout 0.1); training
/// defaults are the paper's (AdamW lr 5e-4, weight decay 0.01, 1% warm-up then cosine, beam 20,
/// history 20, tau 0.7 as on Instruments).
/// </summary>
public sealed record TigerConfig : TrainingSchedule
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

    /// <summary>
    /// How an epoch is cut into batches. <see cref="SampleBatching.ByLength"/> (default) holds one input
    /// length per batch, so nothing is padded; <see cref="SampleBatching.Random"/> draws batches from
    /// all samples and pads each to its longest input, as the original's Hugging Face Trainer does
    /// (about 3.5x the encoder work on Instruments).
    /// </summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(16)] public SampleBatching Batching { get; init; } = SampleBatching.ByLength;
    /// <summary>Matrix products in bfloat16 with fp32 master weights, optimizer, norms, softmax and loss (off: the paper's fp32).</summary>
    [System.Text.Json.Serialization.JsonPropertyOrder(30)] public bool Bf16 { get; init; }

    public override void Validate()
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
