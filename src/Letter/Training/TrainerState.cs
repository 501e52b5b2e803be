namespace Letter.Training;

/// <summary>One epoch of the training curve.</summary>
/// <param name="ValidLoss">teacher-forced loss on the validation users (null in curves written before it was recorded)</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double ValidRecall10, double ValidNdcg10, double Seconds, double LearningRate, int Steps,
    double? ValidLoss = null);

/// <summary>Where training stands; saved in every checkpoint so a resumed run continues exactly.</summary>
public sealed record TrainerState
{
    /// <summary>The epoch in progress (0-based).</summary>
    public int Epoch { get; init; }
    /// <summary>Batches of <see cref="Epoch"/> already done.</summary>
    public int StepInEpoch { get; init; }
    public long GlobalStep { get; init; }
    public double EpochLossSum { get; init; }
    public int EpochLossCount { get; init; }
    public double EpochSeconds { get; init; }
    public double TrainingSeconds { get; init; }
    public double BestNdcg10 { get; init; } = -1;
    /// <summary>The lowest validation loss so far (null before the first epoch, or in states written before it was recorded).</summary>
    public double? BestValidLoss { get; init; }
    public int BestEpoch { get; init; } = -1;
    public int EpochsWithoutImprovement { get; init; }
    public bool Finished { get; init; }
    public string? StopReason { get; init; }
    public List<EpochRecord> Curve { get; init; } = [];
    /// <summary>The end-of-training choice on all validation users, once made (null before, or when not needed).</summary>
    public FinalSelection? Selection { get; init; }
}
