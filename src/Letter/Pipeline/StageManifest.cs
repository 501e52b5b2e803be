using System.Text.Json;
using Letter.IO;

namespace Letter.Pipeline;

/// <summary>
/// What made a finished stage: the hash of its settings and of each input file. A stage folder with
/// a manifest that still matches is reused; anything else is rerun (or resumed by the stage itself).
/// Written last and atomically, so a manifest exists only for a stage that finished.
/// </summary>
public sealed record StageManifest(
    string Stage,
    string SettingsHash,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyList<string> Outputs,
    DateTime CompletedUtc,
    double Seconds)
{
    public const string FileName = "stage.json";

    public static string PathIn(string stageDirectory) => Path.Combine(stageDirectory, FileName);

    /// <summary>Input name -> SHA-256 of the file.</summary>
    public static Dictionary<string, string> HashInputs(IReadOnlyDictionary<string, string> inputFiles) =>
        inputFiles.ToDictionary(kv => kv.Key, kv => FileHash.Sha256(kv.Value));

    /// <summary>Null when the stage can be reused; otherwise why it must run.</summary>
    public static string? WhyRerun(string stageDirectory, string settingsJson, IReadOnlyDictionary<string, string> inputFiles)
    {
        var path = PathIn(stageDirectory);
        if (!File.Exists(path)) return Directory.Exists(stageDirectory) ? "not finished" : "not run yet";
        StageManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<StageManifest>(File.ReadAllText(path), ConfigJson.Options);
        }
        catch (JsonException)
        {
            return "its manifest is unreadable";
        }
        if (m is null) return "its manifest is empty";
        if (m.SettingsHash != FileHash.Sha256Text(settingsJson)) return "settings changed";
        var now = HashInputs(inputFiles);
        foreach (var (name, hash) in now)
            if (!m.Inputs.TryGetValue(name, out var old) || old != hash) return $"input '{name}' changed";
        foreach (var output in m.Outputs)
            if (!File.Exists(Path.Combine(stageDirectory, output))) return $"output {output} is missing";
        return null;
    }

    public static void Write(string stageDirectory, string stage, string settingsJson, IReadOnlyDictionary<string, string> inputFiles,
        IReadOnlyList<string> outputs, TimeSpan elapsed)
    {
        var m = new StageManifest(stage, FileHash.Sha256Text(settingsJson), HashInputs(inputFiles), outputs, DateTime.UtcNow, elapsed.TotalSeconds);
        AtomicFile.WriteAllText(PathIn(stageDirectory), JsonSerializer.Serialize(m, ConfigJson.Options));
    }
}
