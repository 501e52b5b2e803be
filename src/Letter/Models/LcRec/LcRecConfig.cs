using Letter.Training;

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
public sealed record LcRecConfig : TrainingSchedule
{
    /// <summary>The paper's LETTER-LC-Rec schedule where it differs from the shared defaults.</summary>
    public LcRecConfig()
    {
        Temperature = 1.0;
        Epochs = 4;
        BatchSize = 32;
        GradientAccumulation = 4;
        LearningRate = 1e-4;
        ValidationUsers = 500;
        EvalBatchUsers = 16;
        CheckpointMinutes = 10;
    }

    public LcRecLoss Loss { get; init; } = LcRecLoss.Response;
    public LoraConfig Lora { get; init; } = new();

    public override void Validate()
    {
        if (MaxHistory < 1) throw new ArgumentOutOfRangeException(nameof(MaxHistory), "the history limit must be at least 1");
        if (Temperature <= 0) throw new ArgumentOutOfRangeException(nameof(Temperature), "the loss temperature must be positive");
        if (Epochs < 1 || BatchSize < 1 || GradientAccumulation < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), "epochs, batch size and accumulation must be at least 1");
        if (LearningRate <= 0) throw new ArgumentOutOfRangeException(nameof(LearningRate), "the learning rate must be positive");
        if (Beam < 1 || EvalBatchUsers < 1) throw new ArgumentOutOfRangeException(nameof(Beam), "beam and evaluation batch must be at least 1");
        Lora.Validate();
    }
}
