using System.Text.Json.Serialization;
using Letter.Common;

namespace Letter.Training;

/// <summary>
/// The settings of training and evaluation every recommender kind shares, declared once; a kind's
/// config derives from it and adds its model's settings. Run-only settings (<see cref="RunOnlyAttribute"/>)
/// change how a run is run or evaluated, not what it trains. Defaults are TIGER's (the paper's: AdamW
/// lr 5e-4, weight decay 0.01, 1% warm-up then cosine, beam 20, history 20, tau 0.7); a kind sets its own
/// in its constructor. The JSON order keeps the one of TIGER's configs written before the record existed.
/// </summary>
public abstract record TrainingSchedule
{
    [JsonPropertyOrder(11)] public int MaxHistory { get; init; } = 20;
    /// <summary>Ranking-guided loss temperature: the loss is cross-entropy of logits / tau (1: plain cross-entropy).</summary>
    [JsonPropertyOrder(12)] public double Temperature { get; init; } = 0.7;
    [JsonPropertyOrder(13)] public int Epochs { get; init; } = 200;
    [JsonPropertyOrder(14)] public int BatchSize { get; init; } = 256;
    /// <summary>Batches whose gradients make one optimizer step.</summary>
    [JsonPropertyOrder(15)] public int GradientAccumulation { get; init; } = 1;
    [JsonPropertyOrder(17)] public double LearningRate { get; init; } = 5e-4;
    /// <summary>AdamW weight decay.</summary>
    [JsonPropertyOrder(18)] public double WeightDecay { get; init; } = 0.01;
    [JsonPropertyOrder(19)] public double WarmupFraction { get; init; } = 0.01;
    /// <summary>Gradient norm clip (Hugging Face Trainer's max_grad_norm).</summary>
    [JsonPropertyOrder(20)] public double GradientClip { get; init; } = 1.0;
    /// <summary>Epochs without a better validation score (<see cref="SelectBy"/>) before training stops.</summary>
    [JsonPropertyOrder(21)] public int Patience { get; init; } = 10;
    /// <summary>
    /// What the best checkpoint and early stopping go by: NDCG@10 of decoded beams (the reported
    /// metric), or the teacher-forced validation loss.
    /// </summary>
    [JsonPropertyOrder(22)] public SelectionMetric SelectBy { get; init; } = SelectionMetric.Ndcg;
    /// <summary>Validation users sampled (fixed by the seed) for the per-epoch check (NDCG@10 and loss); 0 means all.</summary>
    [JsonPropertyOrder(23)] public int ValidationUsers { get; init; } = 2000;
    /// <summary>Total training minutes not to exceed (0 = no limit): no epoch starts that, judged by the last one, would end later; the schedule still spans <see cref="Epochs"/>.</summary>
    [JsonPropertyOrder(24)] public double TimeBudgetMinutes { get; init; }
    /// <summary>Minutes between mid-epoch checkpoints (an epoch end always writes one; 0: only epoch ends and cancellation).</summary>
    [JsonPropertyOrder(25)][RunOnly] public double CheckpointMinutes { get; init; } = 5;
    /// <summary>
    /// Beam width of decoding. Run-only: a finished model is re-evaluated, not retrained, when it
    /// changes; the per-epoch validation decodes with it too, so a run resumed under another beam
    /// picks its best epoch by that beam from then on.
    /// </summary>
    [JsonPropertyOrder(26)][RunOnly] public int Beam { get; init; } = 20;
    /// <summary>Users decoded together in evaluation.</summary>
    [JsonPropertyOrder(27)][RunOnly] public int EvalBatchUsers { get; init; } = 64;
    [JsonPropertyOrder(28)] public int Seed { get; init; } = 42;
    /// <summary>Torch threads the run is meant for, applied by the host (run-only: results agree up to float rounding across thread counts).</summary>
    [JsonPropertyOrder(29)][RunOnly] public int Threads { get; init; } = 2;

    /// <summary>Refuses settings a run cannot train with (ArgumentException naming the setting); <see cref="RunStart"/> calls it before a new run starts.</summary>
    public abstract void Validate();
}

/// <summary>What the best epoch is chosen by (see <see cref="TrainingSchedule.SelectBy"/>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SelectionMetric>))]
public enum SelectionMetric
{
    /// <summary>Highest NDCG@10 on the validation users (a sampled run ends with a final choice on all of them).</summary>
    [JsonStringEnumMemberName("ndcg")] Ndcg,
    /// <summary>Lowest teacher-forced loss on the validation users.</summary>
    [JsonStringEnumMemberName("loss")] Loss,
}
