using System.Diagnostics;

namespace Letter.Service;

/// <summary>The served model as the endpoints see it: the current one (or 503) and its description.</summary>
internal static class ServedModels
{
    internal static ServedModel Current(ModelHost host) =>
        host.Acquire() ?? throw new ServiceUnavailableException(host.LoadError is null ? "the model is still loading: retry shortly" : $"no model is served: {host.LoadError}");

    internal static ModelInfo Info(ServedModel m) => new(m.Name, m.RunName, m.Version, m.ItemCount);

    internal static double Ms(long start) => Math.Round(Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
}
