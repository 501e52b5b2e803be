using System.CommandLine;

namespace Letter.Cli;

/// <summary>
/// <c>--lanes N</c> and <c>--lane-threads N</c> of eval and recommend (bulk): decoder lanes that decode
/// batches side by side, each with its own torch threads. By default one lane per core, at most the run's
/// threads, which share the threads among them (2 threads on 2 cores: two single-thread lanes).
/// </summary>
public sealed class LaneOptions
{
    public Option<int?> Lanes { get; } = new("--lanes") { Description = "Decoder lanes, each decoding its own batches (default: one per core, at most the run's threads; 1: one decoder)" };
    public Option<int?> LaneThreads { get; } = new("--lane-threads") { Description = "Torch threads of each lane (default: the run's threads shared among the lanes)" };

    public IEnumerable<Option> All => [Lanes, LaneThreads];

    /// <summary>The lanes and their threads asked for, or the defaults for <paramref name="threads"/> torch threads in all.</summary>
    public (int Lanes, int LaneThreads) Read(ParseResult parse, int threads)
    {
        if (parse.GetValue(Lanes) is < 1 or > 64) throw new UsageException("--lanes must be between 1 and 64");
        if (parse.GetValue(LaneThreads) is < 1 or > 256) throw new UsageException("--lane-threads must be between 1 and 256");
        int lanes = parse.GetValue(Lanes) ?? Math.Max(1, Math.Min(threads, Environment.ProcessorCount));
        return (lanes, parse.GetValue(LaneThreads) ?? Math.Max(1, threads / lanes));
    }
}
