using Letter.Common;
using Letter.Data;

namespace Letter.Runs;

/// <summary>How to evaluate a run folder; null settings take the run's own.</summary>
/// <param name="MaxUsers">a fixed seeded sample of this many users, or null for all</param>
/// <param name="MetricsFile">where the metrics go (default: the name <see cref="RunFolder.MetricsFileFor"/> gives these settings)</param>
/// <param name="Device">where the model is loaded and decodes (the CPU by default)</param>
/// <param name="Lanes">decoder lanes the batches are spread over (<see cref="Letter.Generation.DecoderLanes"/>, threads
/// the evaluation owns for its duration); 1: every batch on the calling thread</param>
/// <param name="LaneThreads">libtorch intra-op threads of each lane (set on the lanes' own threads only)</param>
public sealed record RunEvaluationOptions(
    DataSplit Split = DataSplit.Test,
    int? MaxUsers = null,
    int? Beam = null,
    CheckpointChoice Checkpoint = CheckpointChoice.Best,
    bool Bf16 = false,
    int? BatchUsers = null,
    string? MetricsFile = null,
    double? DecodeTemperature = null,
    ComputeDevice Device = default,
    int Lanes = 1,
    int LaneThreads = 1);
