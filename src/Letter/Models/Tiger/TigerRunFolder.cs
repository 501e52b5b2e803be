using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Runs;

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
    InitialWeights? InitFrom = null) : Training.IRunIndexRecord
{
    /// <summary>The run record's kind (absent in schema-1 records, which are TIGER's).</summary>
    public string Kind { get; init; } = TigerKind.KindName;
    /// <summary>The run record's schema (<see cref="RunRecord.CurrentSchema"/> when written by this version).</summary>
    public int SchemaVersion { get; init; } = RunRecord.CurrentSchema;
}

/// <summary>The files of a TIGER run folder: the shared ones and its checkpoint files.</summary>
public sealed class TigerRunFolder(string directory) : RunFolder(directory)
{
    public static JsonSerializerOptions Json => LetterJson.Options;

    public string LastCheckpoint => Path.Combine(CheckpointDirectory, "last.ckpt");
    public string BestCheckpoint => Path.Combine(CheckpointDirectory, "best.ckpt");

    /// <summary>The checkpoint file of a choice; best falls back to last while no best exists yet.</summary>
    public string CheckpointFile(CheckpointChoice choice) =>
        choice == CheckpointChoice.Last || (!File.Exists(BestCheckpoint) && File.Exists(LastCheckpoint)) ? LastCheckpoint : BestCheckpoint;

    /// <summary>The model folder of a run: tiger/ of a pipeline run, or a 'letter train' folder itself (full path).</summary>
    public static string ModelDirectory(string path) => ModelDirectory(path, [TigerKind.KindName]);

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

    /// <summary>The run's item popularity: its own file, or for older runs counted again from the dataset it names.</summary>
    public int[] ReadPopularity(TigerRunInfo info)
    {
        if (!File.Exists(PopularityFile))
        {
            var dataset = LetterDataset.Load(info.DatasetDirectory, loadIndex: false);
            return LeaveOneOutSplit.TrainingPopularity(Training.TrainingUsers.Select(dataset.Users, info.MaxUsers, info.Config.Seed), dataset.ItemCount);
        }
        return ReadPopularity(info.ItemCount);
    }
}
