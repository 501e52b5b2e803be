using Letter.Common;
namespace Letter.Service;

/// <summary>The settings of <c>letter serve</c>.</summary>
public sealed record ServeOptions
{
    public required string RunDirectory { get; init; }
    public string Urls { get; init; } = "http://127.0.0.1:5080";
    public int MaxBatch { get; init; } = 32;
    public int MaxWaitMs { get; init; } = 5;
    public int QueueCapacity { get; init; } = 256;
    public string? AdminToken { get; init; }
    /// <summary>Torch threads in all: the lanes' together (unless <see cref="Lanes"/> and <see cref="LaneThreads"/> say otherwise) and the loading thread's.</summary>
    public int Threads { get; init; } = 2;
    /// <summary>Decoder lanes, each decoding its own batches on the shared model (null: one per core, at most <see cref="Threads"/>).</summary>
    public int? Lanes { get; init; }
    /// <summary>Torch threads of each lane (null: <see cref="Threads"/> shared among the lanes, at least one each).</summary>
    public int? LaneThreads { get; init; }
    /// <summary>
    /// Beams in all above which a request is large: its histories are decoded on one lane at a time, and large
    /// requests together hold all lanes but one, so small requests always find a lane.
    /// </summary>
    public int LargeRequestBeams { get; init; } = 256;
    /// <summary>Answers kept for repeated (user or history, options) requests on the current model (0: no cache).</summary>
    public int AnswerCacheEntries { get; init; } = 10_000;
    public bool Bf16 { get; init; }
    /// <summary>Where the model lives and decodes (the host checks that this build can use it).</summary>
    public ComputeDevice Device { get; init; }
    public int MaxBodyBytes { get; init; } = 1 << 20;
    /// <summary>Longest request target (path and query) answered; longer ones get a 414 with problem details.</summary>
    public int MaxUrlBytes { get; init; } = 8 * 1024;
    public int MaxK { get; init; } = 100;
    public int MaxBeam { get; init; } = 200;
    public int MaxBatchRequests { get; init; } = 256;
    /// <summary>
    /// Beams one request may ask for in all (the sum over its histories of the beam searched): the work of a
    /// request is about proportional to it. The default allows 32 histories at the largest beam, 320 at beam 20.
    /// </summary>
    public int MaxRequestBeams { get; init; } = 6400;
    /// <summary>Beams decoded in one call of the beam search (at least one history): the decoder's turn, which bounds how long a request waits behind another.</summary>
    public int MaxBatchBeams { get; init; } = 1024;
    public int MaxNewItems { get; init; } = 100;
    public int ShutdownSeconds { get; init; } = 30;
    /// <summary>Stop the application when the first load fails (the CLI); tests keep it up to see /health/ready say why.</summary>
    public bool StopOnLoadFailure { get; init; }

    /// <summary>The lanes used: <see cref="Lanes"/>, or one per core up to <see cref="Threads"/>.</summary>
    public int EffectiveLanes => Lanes ?? Math.Max(1, Math.Min(Threads, Environment.ProcessorCount));

    /// <summary>Torch threads per lane: <see cref="LaneThreads"/>, or <see cref="Threads"/> shared among the lanes.</summary>
    public int EffectiveLaneThreads => LaneThreads ?? Math.Max(1, Threads / EffectiveLanes);

    public void Validate()
    {
        if (MaxBatch is < 1 or > 1024) throw new ArgumentOutOfRangeException(nameof(MaxBatch), MaxBatch, "--max-batch must be between 1 and 1024");
        if (MaxWaitMs is < 0 or > 10_000) throw new ArgumentOutOfRangeException(nameof(MaxWaitMs), MaxWaitMs, "--max-wait-ms must be between 0 and 10000");
        if (QueueCapacity is < 1 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "--queue must be between 1 and 1000000");
        if (MaxBatchBeams < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchBeams), MaxBatchBeams, "--max-batch-beams must be at least 1");
        if (MaxRequestBeams < 1) throw new ArgumentOutOfRangeException(nameof(MaxRequestBeams), MaxRequestBeams, "--max-request-beams must be at least 1");
        if (Threads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "--threads must be between 1 and 256");
        if (Lanes is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(Lanes), Lanes, "--lanes must be between 1 and 64");
        if (LaneThreads is < 1 or > 256) throw new ArgumentOutOfRangeException(nameof(LaneThreads), LaneThreads, "--lane-threads must be between 1 and 256");
        if (LargeRequestBeams < 1) throw new ArgumentOutOfRangeException(nameof(LargeRequestBeams), LargeRequestBeams, "--large-request-beams must be at least 1");
        if (AnswerCacheEntries is < 0 or > 10_000_000) throw new ArgumentOutOfRangeException(nameof(AnswerCacheEntries), AnswerCacheEntries, "--answer-cache must be between 0 and 10000000");
        if (AdminToken is { Length: < 8 }) throw new ArgumentException("--admin-token must be at least 8 characters", nameof(AdminToken));
    }
}
