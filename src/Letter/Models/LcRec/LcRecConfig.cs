namespace Letter.Models.LcRec;

/// <summary>Which tokens the training loss is taken on.</summary>
public enum LcRecLoss
{
    /// <summary>Only the response: the target's code tokens and end-of-sequence (LC-Rec's only_train_response).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("response")] Response,
    /// <summary>Every token after BOS, prompt included: the original code's default (only_train_response off).</summary>
    [System.Text.Json.Serialization.JsonStringEnumMemberName("whole-sequence")] WholeSequence,
}

/// <summary>
/// Everything an LC-Rec run depends on besides the base model. Defaults are the paper's LETTER-LC-Rec
/// script (HonghuiBao2000/LETTER, LETTER-LC-Rec/run_train.sh and utils.py): 4 epochs, learning rate 1e-4,
/// an effective batch of 128 (16 per GPU x 4 GPUs x 2 accumulation steps: 32 x 4 here), weight decay
/// 0.01, 1% warm-up then cosine, history 20, tau 1, LoRA r 8 / alpha 32 / dropout 0.05 on every
/// projection, beam 20.
/// </summary>
public sealed record LcRecConfig
{
    public int MaxHistory { get; init; } = 20;
    /// <summary>Ranking-guided loss temperature: the loss is cross-entropy of logits / tau (1: plain cross-entropy).</summary>
    public double Temperature { get; init; } = 1.0;
    public LcRecLoss Loss { get; init; } = LcRecLoss.Response;
    public int Epochs { get; init; } = 4;
    public int BatchSize { get; init; } = 32;
    public int GradientAccumulation { get; init; } = 4;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0.01;
    public double WarmupFraction { get; init; } = 0.01;
    /// <summary>Hugging Face Trainer's max_grad_norm.</summary>
    public double GradientClip { get; init; } = 1.0;
    public LoraConfig Lora { get; init; } = new();
    /// <summary>Validation users sampled (fixed by the seed) for the per-epoch check; 0 means all.</summary>
    public int ValidationUsers { get; init; } = 500;
    public int Beam { get; init; } = 20;
    public int EvalBatchUsers { get; init; } = 16;
    /// <summary>Minutes between mid-epoch checkpoints (0: only at epoch ends and on cancellation).</summary>
    public double CheckpointMinutes { get; init; } = 10;
    /// <summary>Bound on the total training time (no epoch starts that would end after it); 0 = none.</summary>
    public double TimeBudgetMinutes { get; init; }
    public int Seed { get; init; } = 42;
    /// <summary>libtorch threads the run is meant for: recorded for the host to apply (LetterRuntime); the library never sets it.</summary>
    public int Threads { get; init; } = 2;

    public void Validate()
    {
        if (MaxHistory < 1) throw new ArgumentOutOfRangeException(nameof(MaxHistory), "the history limit must be at least 1");
        if (Temperature <= 0) throw new ArgumentOutOfRangeException(nameof(Temperature), "the loss temperature must be positive");
        if (Epochs < 1 || BatchSize < 1 || GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), "epochs, batch size and accumulation must be at least 1");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), "the learning rate must be positive");
        if (Beam < 1 || EvalBatchUsers < 1) throw new ArgumentOutOfRangeException(nameof(Beam), "beam and evaluation batch must be at least 1");
        Lora.Validate();
    }
}
