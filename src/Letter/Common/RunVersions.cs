using System.Reflection;
using System.Runtime.InteropServices;

namespace Letter.Common;

/// <summary>The versions and machine that made a run, recorded beside its config.</summary>
public sealed record RunVersions(string Letter, string TorchSharp, string LibTorch, string DotNet, string Os, int ProcessorCount, string CommandLine)
{
    public static RunVersions Current()
    {
        static string Informational(Assembly a) =>
            a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? a.GetName().Version?.ToString() ?? "?";
        return new RunVersions(
            Informational(typeof(RunVersions).Assembly),
            Informational(typeof(global::TorchSharp.torch).Assembly),
            global::TorchSharp.torch.__version__,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription,
            Environment.ProcessorCount,
            Environment.CommandLine);
    }
}
