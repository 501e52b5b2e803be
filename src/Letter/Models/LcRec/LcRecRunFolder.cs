using System.Text.Json;
using Letter.Common;
using Letter.IO;
using Letter.Runs;

namespace Letter.Models.LcRec;

/// <summary>What config.json of an LC-Rec run holds (its <see cref="Kind"/> tells it from other kinds' runs).</summary>
public sealed record LcRecRunInfo(
    LcRecConfig Config,
    string DatasetDirectory,
    string? IndexFile,
    string IndexSha256,
    string BaseModel,
    string BaseModelFingerprint,
    int ItemCount,
    int VocabularySize,
    int? MaxUsers,
    long Parameters,
    long TrainableParameters,
    string Created,
    RunVersions? Versions = null) : Letter.Training.IRunIndexRecord
{
    /// <summary>The run record's kind.</summary>
    public string Kind { get; init; } = LcRecKind.KindName;
    /// <summary>The run record's schema (<see cref="RunRecord.CurrentSchema"/> when written by this version).</summary>
    public int SchemaVersion { get; init; } = RunRecord.CurrentSchema;
    /// <summary>The kind as schema-1 records named it ("lc-rec"); not written any more.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Recommender { get; init; }
}

/// <summary>The files of an LC-Rec run folder: the shared ones and its checkpoint folders (PEFT adapter folders).</summary>
public sealed class LcRecRunFolder(string directory) : RunFolder(directory)
{
    public string LastCheckpoint => Path.Combine(CheckpointDirectory, "last");
    public string BestCheckpoint => Path.Combine(CheckpointDirectory, "best");

    /// <summary>The checkpoint folder of a choice; best falls back to last while no best exists yet.</summary>
    public string CheckpointFolder(CheckpointChoice choice) =>
        choice == CheckpointChoice.Last || !System.IO.Directory.Exists(BestCheckpoint) ? LastCheckpoint : BestCheckpoint;

    public LcRecRunInfo ReadInfo()
    {
        if (!File.Exists(ConfigFile)) throw new LetterDataException(ConfigFile, null, "is missing: not a run folder");
        try
        {
            return LetterJson.Deserialize<LcRecRunInfo>(File.ReadAllText(ConfigFile))
                   ?? throw new LetterDataException(ConfigFile, null, "is empty");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(ConfigFile, null, $"is not an LC-Rec run record ({e.Message})");
        }
    }

    public void WriteInfo(LcRecRunInfo info) => AtomicFile.WriteAllText(ConfigFile, LetterJson.Serialize(info));

    /// <summary>
    /// A cheap fingerprint of a base model: SHA-256 of a GGUF file, or of a folder's config.json plus the
    /// names and sizes of its weight files (hashing gigabytes of weights on every resume would cost minutes).
    /// </summary>
    public static string Fingerprint(string baseModel)
    {
        if (File.Exists(baseModel)) return FileHash.Sha256(baseModel);
        var config = Path.Combine(baseModel, "config.json");
        var parts = System.IO.Directory.GetFiles(baseModel, "*.safetensors").Order(StringComparer.Ordinal)
            .Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}");
        return FileHash.Sha256Text((File.Exists(config) ? File.ReadAllText(config) : "") + "\n" + string.Join("\n", parts));
    }
}
