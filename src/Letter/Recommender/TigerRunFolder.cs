using System.Text.Json;
using System.Text.Json.Serialization;
using Letter.Common;
using Letter.Data;
using Letter.IO;

namespace Letter.Recommender;

/// <summary>
/// What config.json of a run holds: the full effective config, where the data came from and the
/// versions that started the run (absent in runs made before they were recorded).
/// </summary>
public sealed record TigerRunInfo(
    TigerConfig Config,
    string DatasetDirectory,
    string? IndexFile,
    string IndexSha256,
    int ItemCount,
    int[] CodebookSizes,
    int VocabularySize,
    int? MaxUsers,
    long Parameters,
    string Created,
    RunVersions? Versions = null)
{
    /// <summary>The users the run trained and validated on: all of the dataset's, or its seeded <c>--max-users</c> sample.</summary>
    public IReadOnlyList<UserSequence> TrainingUsers(LetterDataset dataset) => TigerTrainer.SelectUsers(dataset.Users, MaxUsers, Config.Seed);
}

/// <summary>The files of a run folder.</summary>
public sealed class TigerRunFolder(string directory)
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string Directory { get; } = Path.GetFullPath(directory);
    public string ConfigFile => Path.Combine(Directory, "config.json");
    /// <summary>A copy of the index the run was trained with, so the run is self-contained.</summary>
    public string IndexFile => Path.Combine(Directory, "index.json");
    public string CheckpointDirectory => Path.Combine(Directory, "checkpoints");
    public string LastCheckpoint => Path.Combine(CheckpointDirectory, "last.ckpt");
    public string BestCheckpoint => Path.Combine(CheckpointDirectory, "best.ckpt");
    public string CurveFile => Path.Combine(Directory, "training-curve.json");
    public string MetricsFile => Path.Combine(Directory, "metrics.json");

    public string MetricsFileFor(string split) => split == "test" ? MetricsFile : Path.Combine(Directory, $"metrics-{split}.json");

    public bool Exists => File.Exists(ConfigFile);

    public TigerRunInfo ReadInfo()
    {
        if (!File.Exists(ConfigFile)) throw new LetterDataException(ConfigFile, null, "is missing: not a TIGER run folder (train one with 'letter train')");
        try
        {
            return JsonSerializer.Deserialize<TigerRunInfo>(File.ReadAllText(ConfigFile), Json)
                ?? throw new LetterDataException(ConfigFile, null, "is empty");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(ConfigFile, null, $"is not a valid run config: {e.Message}");
        }
    }

    public void WriteInfo(TigerRunInfo info) => AtomicFile.WriteAllText(ConfigFile, JsonSerializer.Serialize(info, Json));

    public ItemIndex ReadIndex() => ItemIndexReader.Read(IndexFile);
}
