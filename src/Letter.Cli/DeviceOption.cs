using System.CommandLine;
using Letter.Common;

namespace Letter.Cli;

/// <summary><c>--device cpu|cuda|cuda:N</c> of train, eval, recommend and serve.</summary>
public static class DeviceOption
{
    public static Option<string?> Create() =>
        new("--device") { Description = "Where the model runs: cpu (default), cuda or cuda:N (needs the CUDA build of the hosts, see docs/architecture.md)" };

    /// <summary>The device asked for; a value Letter does not know is one line and exit 2 (LetterConfigException).</summary>
    public static ComputeDevice Read(ParseResult parse, Option<string?> option) =>
        parse.GetValue(option) is { } text ? ComputeDevice.Parse(text) : ComputeDevice.Cpu;
}
