using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Models.Tiger;

namespace Letter.Models.LcRec;

/// <summary>What config.json of an LC-Rec run holds (<see cref="Recommender"/> tells it from a TIGER run's).</summary>
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
    RunVersions? Versions = null)
{
    public string Recommender { get; init; } = LcRecRunFolder.RecommenderName;

    public IReadOnlyList<UserSequence> TrainingUsers(LetterDataset dataset) => TigerTrainer.SelectUsers(dataset.Users, MaxUsers, Config.Seed);
}

/// <summary>The files of an LC-Rec run folder.</summary>
public sealed class LcRecRunFolder(string directory)
{
    public const string RecommenderName = "lc-rec";

    public string Directory { get; } = Path.GetFullPath(directory);
    public string ConfigFile => Path.Combine(Directory, "config.json");
    public string IndexFile => Path.Combine(Directory, "index.json");
    public string CheckpointDirectory => Path.Combine(Directory, "checkpoints");
    public string LastCheckpoint => Path.Combine(CheckpointDirectory, "last");
    public string BestCheckpoint => Path.Combine(CheckpointDirectory, "best");
    public string CurveFile => Path.Combine(Directory, "training-curve.json");
    public string PopularityFile => Path.Combine(Directory, "item-popularity.json");
    public bool Exists => File.Exists(ConfigFile);

    /// <summary>Whether a run folder holds an LC-Rec run (its config.json names the recommender).</summary>
    public static bool IsLcRecRun(string directory)
    {
        var path = Path.Combine(directory, "config.json");
        if (!File.Exists(path)) return false;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("recommender", out var r) && r.GetString() == RecommenderName;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    public LcRecRunInfo ReadInfo()
    {
        if (!File.Exists(ConfigFile)) throw new LetterDataException(ConfigFile, null, "is missing: not a run folder");
        try
        {
            return JsonSerializer.Deserialize<LcRecRunInfo>(File.ReadAllText(ConfigFile), TigerRunFolder.Json)
                   ?? throw new LetterDataException(ConfigFile, null, "is empty");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(ConfigFile, null, $"is not an LC-Rec run record ({e.Message})");
        }
    }

    public void WriteInfo(LcRecRunInfo info) => AtomicFile.WriteAllText(ConfigFile, JsonSerializer.Serialize(info, TigerRunFolder.Json));

    public ItemIndex ReadIndex() => ItemIndexReader.Read(IndexFile);

    public void WritePopularity(int[] popularity) => AtomicFile.WriteAllText(PopularityFile, JsonSerializer.Serialize(popularity));

    /// <summary>Training occurrences per item, as the run counted them (the order of items that share an identifier).</summary>
    public int[] ReadPopularity(int itemCount)
    {
        if (!File.Exists(PopularityFile)) throw new LetterDataException(PopularityFile, null, "is missing");
        int[]? counts;
        try { counts = JsonSerializer.Deserialize<int[]>(File.ReadAllText(PopularityFile)); }
        catch (JsonException e) { throw new LetterDataException(PopularityFile, null, $"is not a JSON array of counts: {e.Message}"); }
        if (counts is null || counts.Length != itemCount)
            throw new LetterDataException(PopularityFile, null, $"holds {counts?.Length ?? 0} counts for a run of {itemCount} items");
        return counts;
    }

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
