using System.Text.Json;
using Letter.IO;

namespace Letter.Pipeline;

/// <summary>What a rerun does with a stage folder (see <see cref="StageManifest.Check"/>).</summary>
public enum StageStatus
{
    /// <summary>Settings, inputs and outputs all match: reuse it.</summary>
    UpToDate,
    /// <summary>Only run-only settings changed: keep the trained model (and redo an evaluation, where the stage has one).</summary>
    RunSettingsChanged,
    /// <summary>A folder without a manifest: the stage was interrupted; the stage resumes it.</summary>
    NotFinished,
    /// <summary>Never run, or what it was trained from changed: run it afresh (an old folder is moved aside first).</summary>
    Rerun,
}

/// <summary>The verdict on a stage folder: what to do, why, and which run-only settings differ.</summary>
public sealed record StageCheck(StageStatus Status, string Reason, IReadOnlyList<string> ChangedRunSettings)
{
    public static StageCheck Of(StageStatus status, string reason) => new(status, reason, []);
}

/// <summary>
/// What made a finished stage: the hash of its trained settings (those not marked
/// <see cref="Common.RunOnlyAttribute"/>), the run-only settings themselves, and the hash of each
/// input file. A stage folder whose manifest still matches is reused; one whose run-only settings
/// alone changed keeps its model; anything else is rerun (or resumed by the stage itself). Written
/// last and atomically, so a manifest exists only for a stage that finished.
/// </summary>
/// <param name="RunSettings">run-only settings by dotted path (null in manifests written before they were split out, whose <see cref="SettingsHash"/> covers all settings)</param>
public sealed record StageManifest(
    string Stage,
    string SettingsHash,
    IReadOnlyDictionary<string, string> Inputs,
    IReadOnlyList<string> Outputs,
    DateTime CompletedUtc,
    double Seconds,
    IReadOnlyDictionary<string, string>? RunSettings = null)
{
    public const string FileName = "stage.json";

    /// <summary>
    /// Written when a stage starts: the hash of the trained settings it started with, so that an
    /// interrupted stage is resumed only under those settings (a resumed TIGER run keeps its own config).
    /// </summary>
    public const string StartedFileName = "stage.started.json";

    public static string PathIn(string stageDirectory) => Path.Combine(stageDirectory, FileName);

    public static void WriteStarted(string stageDirectory, StageSettings settings) =>
        AtomicFile.WriteAllText(Path.Combine(stageDirectory, StartedFileName),
            JsonSerializer.Serialize(new Dictionary<string, string> { ["settings_hash"] = FileHash.Sha256Text(settings.TrainedJson) }, ConfigJson.Options));

    /// <summary>Null for a folder of an older Letter (no start record) or an unreadable one.</summary>
    private static string? StartedHash(string stageDirectory)
    {
        var path = Path.Combine(stageDirectory, StartedFileName);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path), ConfigJson.Options)?.GetValueOrDefault("settings_hash");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Input name -> SHA-256 of the file.</summary>
    public static Dictionary<string, string> HashInputs(IReadOnlyDictionary<string, string> inputFiles) =>
        inputFiles.ToDictionary(kv => kv.Key, kv => FileHash.Sha256(kv.Value));

    /// <summary>What a rerun should do with the stage in <paramref name="stageDirectory"/>.</summary>
    public static StageCheck Check(string stageDirectory, StageSettings settings, IReadOnlyDictionary<string, string> inputFiles)
    {
        var path = PathIn(stageDirectory);
        if (!File.Exists(path))
        {
            if (!Directory.Exists(stageDirectory)) return StageCheck.Of(StageStatus.Rerun, "not run yet");
            return StartedHash(stageDirectory) is { } started && started != FileHash.Sha256Text(settings.TrainedJson)
                ? StageCheck.Of(StageStatus.Rerun, "not finished, and its settings changed since it started")
                : StageCheck.Of(StageStatus.NotFinished, "not finished");
        }
        StageManifest? m;
        try
        {
            m = JsonSerializer.Deserialize<StageManifest>(File.ReadAllText(path), ConfigJson.Options);
        }
        catch (JsonException)
        {
            return StageCheck.Of(StageStatus.Rerun, "its manifest is unreadable");
        }
        if (m is null) return StageCheck.Of(StageStatus.Rerun, "its manifest is empty");
        // an older manifest hashed every setting together: it matches only when nothing changed
        bool legacy = m.RunSettings is null;
        var expected = FileHash.Sha256Text(legacy ? settings.FullJson : settings.TrainedJson);
        if (m.SettingsHash != expected) return StageCheck.Of(StageStatus.Rerun, "settings changed");
        var now = HashInputs(inputFiles);
        foreach (var (name, hash) in now)
            if (!m.Inputs.TryGetValue(name, out var old) || old != hash) return StageCheck.Of(StageStatus.Rerun, $"input '{name}' changed");
        foreach (var output in m.Outputs)
            if (!File.Exists(Path.Combine(stageDirectory, output))) return StageCheck.Of(StageStatus.Rerun, $"output {output} is missing");
        var changed = legacy ? [] : StageSettings.Changed(m.RunSettings!, settings.RunOnly);
        return changed.Count == 0
            ? StageCheck.Of(StageStatus.UpToDate, "up to date")
            : new StageCheck(StageStatus.RunSettingsChanged, $"run settings changed: {string.Join(", ", changed)}", changed);
    }

    public static void Write(string stageDirectory, string stage, StageSettings settings, IReadOnlyDictionary<string, string> inputFiles,
        IReadOnlyList<string> outputs, TimeSpan elapsed)
    {
        var m = new StageManifest(stage, FileHash.Sha256Text(settings.TrainedJson), HashInputs(inputFiles), outputs, DateTime.UtcNow,
            elapsed.TotalSeconds, settings.RunOnly);
        AtomicFile.WriteAllText(PathIn(stageDirectory), JsonSerializer.Serialize(m, ConfigJson.Options));
    }
}
