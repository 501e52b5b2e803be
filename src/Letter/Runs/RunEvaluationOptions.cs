using Letter.Common;
using Letter.Data;

namespace Letter.Runs;

/// <summary>How to evaluate a run folder; null settings take the run's own.</summary>
/// <param name="MaxUsers">a fixed seeded sample of this many users, or null for all</param>
/// <param name="MetricsFile">where the metrics go (default: the name <see cref="RunFolder.MetricsFileFor"/> gives these settings)</param>
/// <param name="Device">where the model is loaded and decodes (the CPU by default)</param>
public sealed record RunEvaluationOptions(
    DataSplit Split = DataSplit.Test,
    int? MaxUsers = null,
    int? Beam = null,
    CheckpointChoice Checkpoint = CheckpointChoice.Best,
    bool Bf16 = false,
    int? BatchUsers = null,
    string? MetricsFile = null,
    double? DecodeTemperature = null,
    ComputeDevice Device = default);
