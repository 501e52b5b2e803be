using System.Text.Json;
using Letter.Data;
using Letter.IO;

namespace Letter.Runs;

/// <summary>
/// The files every run folder holds, whatever its recommender kind: the run record (config.json), the
/// index copy, item popularity and titles, the training curve, the checkpoints folder and the metrics
/// of its evaluations. A kind names its own checkpoint files inside <see cref="CheckpointDirectory"/>.
/// </summary>
public class RunFolder(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);
    /// <summary>The run record: kind, schema version, settings, versions (see <see cref="RunRecord"/>).</summary>
    public string ConfigFile => Path.Combine(Directory, "config.json");
    /// <summary>A copy of the index the run was trained with, so the run is self-contained.</summary>
    public string IndexFile => Path.Combine(Directory, "index.json");
    public string CheckpointDirectory => Path.Combine(Directory, "checkpoints");
    public string CurveFile => Path.Combine(Directory, "training-curve.json");
    /// <summary>Training occurrences per item (the order of items that share an identifier), so a run loads without its dataset.</summary>
    public string PopularityFile => Path.Combine(Directory, "item-popularity.json");
    /// <summary>Item titles (when the dataset had item text), so recommendations read as items without the dataset.</summary>
    public string TitlesFile => Path.Combine(Directory, "item-titles.json");
    public string MetricsFile => Path.Combine(Directory, "metrics.json");
    /// <summary>The dataset's item ids (<c>original id TAB dense id</c> per line, as <c>letter import</c> writes them), copied when the run was trained; see <see cref="RunIds"/>.</summary>
    public string ItemIdsFile => Path.Combine(Directory, "item2id");
    /// <summary>The dataset's user ids, as <see cref="ItemIdsFile"/>.</summary>
    public string UserIdsFile => Path.Combine(Directory, "user2id");

    public bool Exists => File.Exists(ConfigFile);

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

    /// <summary>
    /// The model folder of a path: a folder named after one of <paramref name="kindNames"/> inside a
    /// pipeline run folder (tiger/, lc-rec/), or a 'letter train' folder itself (full path).
    /// </summary>
    public static string ModelDirectory(string path, IEnumerable<string> kindNames)
    {
        foreach (var name in kindNames)
        {
            var nested = Path.Combine(path, name);
            if (new RunFolder(nested).Exists) return Path.GetFullPath(nested);
        }
        if (new RunFolder(path).Exists) return Path.GetFullPath(path);
        throw new LetterDataException(path, null, System.IO.Directory.Exists(path)
            ? "holds no trained model (expected config.json of a trained run, or the model folder of a pipeline run such as tiger/)"
            : "folder not found");
    }

    public ItemIndex ReadIndex() => ItemIndexReader.Read(IndexFile);

    public void WriteTitles(IReadOnlyList<string> titles) => AtomicFile.WriteAllText(TitlesFile, JsonSerializer.Serialize(titles, LetterJson.Options));

    /// <summary>The run's item titles, or null when it kept none.</summary>
    public string[]? ReadTitles()
    {
        if (!File.Exists(TitlesFile)) return null;
        try { return JsonSerializer.Deserialize<string[]>(File.ReadAllText(TitlesFile)); }
        catch (JsonException e) { throw new LetterDataException(TitlesFile, null, $"is not a JSON array of titles: {e.Message}"); }
    }

    public void WritePopularity(int[] popularity) => AtomicFile.WriteAllText(PopularityFile, JsonSerializer.Serialize(popularity));

    /// <summary>The run's item popularity from its own file, checked against the run's item count.</summary>
    public int[] ReadPopularity(int itemCount)
    {
        if (!File.Exists(PopularityFile)) throw new LetterDataException(PopularityFile, null, "is missing");
        int[]? counts;
        try { counts = JsonSerializer.Deserialize<int[]>(File.ReadAllText(PopularityFile)); }
        catch (JsonException e) { throw new LetterDataException(PopularityFile, null, $"is not a JSON array of counts: {e.Message}"); }
        if (counts is null || counts.Length != itemCount)
            throw new LetterDataException(PopularityFile, null, $"holds {counts?.Length ?? 0} counts for a run of {itemCount} items");
        if (Array.FindIndex(counts, c => c < 0) is int bad and >= 0)
            throw new LetterDataException(PopularityFile, $"item {bad}", $"has a negative count ({counts[bad]})");
        return counts;
    }
}
