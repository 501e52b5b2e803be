using System.Runtime;
using System.Text.Json;

namespace Letter.Tests.Cli;

/// <summary>
/// Background GC must stay off in every executable: TorchSharp does not keep a Scalar alive across
/// the native call that uses it, and a concurrent GC can finalize it mid-call (it crashed a real run).
/// </summary>
public class GarbageCollectorSettingsTests
{
    [Fact]
    public void ThisProcess_RunsWithoutConcurrentGc()
    {
        // With concurrent GC disabled the runtime's default latency mode is Batch (Interactive otherwise).
        Assert.Equal(GCLatencyMode.Batch, GCSettings.LatencyMode);
    }

    [Fact]
    public void CliRuntimeConfig_DisablesConcurrentGc()
    {
        var config = Path.Combine(AppContext.BaseDirectory, "Letter.Cli.runtimeconfig.json");
        Assert.True(File.Exists(config), $"{config} is missing");
        using var json = JsonDocument.Parse(File.ReadAllText(config));
        var properties = json.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(properties.GetProperty("System.GC.Concurrent").GetBoolean());
    }
}
