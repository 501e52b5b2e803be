using System.Text.Json;
using System.Text.Json.Serialization;
using Letter.Common;
using Letter.Data;
using Letter.IO;

namespace Letter.Models.Tiger;

/// <summary>
/// What config.json of a run holds: the full effective config, where the data came from and the
/// versions that started the run (absent in runs made before they were recorded), and the checkpoint
/// its weights started from (absent when they were freshly initialised).
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
    RunVersions? Versions = null,
    InitialWeights? InitFrom = null)
{
    /// <summary>The users the run trained and validated on: all of the dataset's, or its seeded <c>--max-users</c> sample.</summary>
    public IReadOnlyList<UserSequence> TrainingUsers(LetterDataset dataset) => TigerTrainer.SelectUsers(dataset.Users, MaxUsers, Config.Seed);
}

/// <summary>The files of a run folder.</summary>
public sealed class TigerRunFolder(string directory)
{
    public static JsonSerializerOptions Json => LetterJson.Options;

    public string Directory { get; } = Path.GetFullPath(directory);
    public string ConfigFile => Path.Combine(Directory, "config.json");
    /// <summary>A copy of the index the run was trained with, so the run is self-contained.</summary>
    public string IndexFile => Path.Combine(Directory, "index.json");
    public string CheckpointDirectory => Path.Combine(Directory, "checkpoints");
    public string LastCheckpoint => Path.Combine(CheckpointDirectory, "last.ckpt");
    public string BestCheckpoint => Path.Combine(CheckpointDirectory, "best.ckpt");
    public string CurveFile => Path.Combine(Directory, "training-curve.json");
    /// <summary>Training occurrences per item (the order of items that share an identifier), so a run loads without its dataset.</summary>
    public string PopularityFile => Path.Combine(Directory, "item-popularity.json");

    /// <summary>Item titles (when the dataset had item text), so recommendations read as items without the dataset.</summary>
    public string TitlesFile => Path.Combine(Directory, "item-titles.json");

    /// <summary>The checkpoint file of a choice; best falls back to last while no best exists yet.</summary>
    public string CheckpointFile(CheckpointChoice choice) =>
        choice == CheckpointChoice.Last || (!File.Exists(BestCheckpoint) && File.Exists(LastCheckpoint)) ? LastCheckpoint : BestCheckpoint;
    public string MetricsFile => Path.Combine(Directory, "metrics.json");

    /// <summary>
    /// Where an evaluation's metrics go. The run's own evaluation (best checkpoint, every user, the
    /// run's beam, fp32) is metrics.json for test and metrics-valid.json for valid; any other
    /// variant names what differs (e.g. metrics-last-500users-bf16.json), so a quick check never
    /// overwrites the full result.
    /// </summary>
    /// <param name="sampledUsers">users of a --max-users sample, null when all were evaluated</param>
    /// <param name="beam">a beam other than the run's, null for the run's</param>
    public string MetricsFileFor(DataSplit split, CheckpointChoice checkpoint = CheckpointChoice.Best, int? sampledUsers = null, int? beam = null, bool bf16 = false,
        double decodeTemperature = 1.0)
    {
        var name = "metrics" + (split == DataSplit.Test ? "" : $"-{split.Name()}")
            + (checkpoint == CheckpointChoice.Best ? "" : $"-{checkpoint.Name()}")
            + (sampledUsers is int n ? $"-{n}users" : "")
            + (beam is int b ? $"-beam{b}" : "")
            + (bf16 ? "-bf16" : "")
            + (decodeTemperature != 1.0 ? $"-decode-t{decodeTemperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : "");
        return Path.Combine(Directory, name + ".json");
    }

    public bool Exists => File.Exists(ConfigFile);

    /// <summary>The model folder of a run: tiger/ of a pipeline run, or a 'letter train' folder itself (full path).</summary>
    public static string ModelDirectory(string path)
    {
        var nested = Path.Combine(path, "tiger");
        if (new TigerRunFolder(nested).Exists) return Path.GetFullPath(nested);
        if (new TigerRunFolder(path).Exists) return Path.GetFullPath(path);
        throw new LetterDataException(path, null, System.IO.Directory.Exists(path)
            ? "holds no trained model (expected config.json of a trained run, or tiger/ of a pipeline run)"
            : "folder not found");
    }

    public TigerRunInfo ReadInfo()
    {
        if (!File.Exists(ConfigFile)) throw new LetterDataException(ConfigFile, null, "is missing: not a TIGER run folder (train one with 'letter train')");
        try
        {
            return LetterJson.Deserialize<TigerRunInfo>(File.ReadAllText(ConfigFile))
                ?? throw new LetterDataException(ConfigFile, null, "is empty");
        }
        catch (JsonException e)
        {
            throw new LetterDataException(ConfigFile, null, $"is not a valid run config: {e.Message}");
        }
    }

    public void WriteInfo(TigerRunInfo info) => AtomicFile.WriteAllText(ConfigFile, JsonSerializer.Serialize(info, Json));

    public ItemIndex ReadIndex() => ItemIndexReader.Read(IndexFile);

    public void WriteTitles(IReadOnlyList<string> titles) => AtomicFile.WriteAllText(TitlesFile, JsonSerializer.Serialize(titles, Json));

    /// <summary>The run's item titles, or null when it kept none.</summary>
    public string[]? ReadTitles()
    {
        if (!File.Exists(TitlesFile)) return null;
        try { return JsonSerializer.Deserialize<string[]>(File.ReadAllText(TitlesFile)); }
        catch (JsonException e) { throw new LetterDataException(TitlesFile, null, $"is not a JSON array of titles: {e.Message}"); }
    }

    public void WritePopularity(int[] popularity) => AtomicFile.WriteAllText(PopularityFile, JsonSerializer.Serialize(popularity));

    /// <summary>The run's item popularity: its own file, or for older runs counted again from the dataset it names.</summary>
    public int[] ReadPopularity(TigerRunInfo info)
    {
        if (!File.Exists(PopularityFile))
        {
            var dataset = LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
            return LeaveOneOutSplit.TrainingPopularity(info.TrainingUsers(dataset), dataset.ItemCount);
        }
        int[]? counts;
        try { counts = JsonSerializer.Deserialize<int[]>(File.ReadAllText(PopularityFile)); }
        catch (JsonException e) { throw new LetterDataException(PopularityFile, null, $"is not a JSON array of counts: {e.Message}"); }
        if (counts is null || counts.Length != info.ItemCount)
            throw new LetterDataException(PopularityFile, null, $"holds {counts?.Length ?? 0} counts for a run of {info.ItemCount} items");
        if (Array.FindIndex(counts, c => c < 0) is int bad and >= 0)
            throw new LetterDataException(PopularityFile, $"item {bad}", $"has a negative count ({counts[bad]})");
        return counts;
    }
}
