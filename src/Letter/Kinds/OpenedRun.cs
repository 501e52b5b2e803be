using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;
using Letter.Training;

namespace Letter.Kinds;

/// <summary>
/// A run folder opened whatever its kind: its record, its kind, the loaded model and a recommender over
/// the run's catalogue, the item titles and popularity, where its dataset was, and (for a pipeline run)
/// the tokenizer and text encoder that made its identifiers. What a host (CLI, service) needs of a run.
/// </summary>
public sealed class OpenedRun : IDisposable
{
    private OpenedRun(string directory, RunFolder folder, RunRecord record, RecommenderKind kind, RunModel model, ItemIndex index, int[] popularity,
        string[]? titles)
    {
        Directory = directory;
        Folder = folder;
        Record = record;
        Kind = kind;
        Model = model;
        Index = index;
        Popularity = popularity;
        Titles = titles;
        Recommender = model.Recommender(index, popularity);
    }

    /// <summary>The folder opened: a pipeline run folder, or the model folder itself for a 'letter train' run.</summary>
    public string Directory { get; }
    /// <summary>The model's run folder (tiger/, lc-rec/ ... of a pipeline run, or <see cref="Directory"/>).</summary>
    public RunFolder Folder { get; }
    public RunRecord Record { get; }
    public RecommenderKind Kind { get; }
    /// <summary>The loaded weights; <see cref="Recommender"/> and any recommender made from it share them.</summary>
    public RunModel Model { get; }
    public TrainingSchedule Schedule => Model.Schedule;
    public ItemIndex Index { get; }
    public int[] Popularity { get; }
    /// <summary>The titles the run kept, or null (older runs, datasets without item text).</summary>
    public string[]? Titles { get; }
    /// <summary>A recommender over the run's own catalogue, at the run's beam.</summary>
    public GenerativeRecommender Recommender { get; }
    public IdentifierCatalog Catalog => Recommender.Catalog;
    /// <summary>The dataset the run was trained on, as recorded (it may be absent on this machine).</summary>
    public string DatasetDirectory => Record.DatasetDirectory;

    /// <summary>The dataset's own ids of the run's items and users (<see cref="RunIds.Read"/>: the run's copy, else its dataset's maps, else dense).</summary>
    public RunIds Ids => _ids ??= RunIds.Read(Folder, DatasetDirectory, Index.ItemCount);
    private RunIds? _ids;

    /// <summary>The pipeline's trained tokenizer that made this run's index, or null with <see cref="RunTokenizer.Find"/>'s reason.</summary>
    public (RunTokenizer? Tokenizer, string? Why) Tokenizer() => RunTokenizer.Find(Directory, Folder.Directory, Record.IndexSha256);

    /// <summary>The model folder of a path (a pipeline folder's model folder of any registered kind, or the path itself).</summary>
    public static string ModelDirectory(string path, KindRegistry? kinds = null) =>
        RunFolder.ModelDirectory(path, (kinds ?? KindRegistry.Default).Names);

    /// <summary>The record and kind of the run at <paramref name="path"/> without loading its model.</summary>
    public static (RunFolder Folder, RunRecord Record, RecommenderKind Kind) Inspect(string path, KindRegistry? kinds = null)
    {
        kinds ??= KindRegistry.Default;
        var modelDir = ModelDirectory(path, kinds);
        var record = RunRecord.Read(Path.Combine(modelDir, "config.json"));
        var kind = kinds.Find(record.Kind, Path.Combine(modelDir, "config.json"));
        return (kind.Folder(modelDir), record, kind);
    }

    /// <summary>
    /// Opens a run: a 'letter train' folder, or a pipeline folder holding one kind's model folder.
    /// Runs made before the folder kept its popularity count it again from their dataset. The model is
    /// loaded onto <paramref name="device"/> (the CPU by default), where it decodes.
    /// </summary>
    public static OpenedRun Open(string path, CheckpointChoice checkpoint = CheckpointChoice.Best, KindRegistry? kinds = null,
        ComputeDevice device = default)
    {
        var (folder, record, kind) = Inspect(path, kinds);
        var index = folder.ReadIndex();
        var config = kind.ReadConfig(folder);
        int[] popularity;
        if (File.Exists(folder.PopularityFile)) popularity = folder.ReadPopularity(record.ItemCount);
        else
        {
            var dataset = LetterDataset.Load(record.DatasetDirectory, loadIndex: false);
            popularity = LeaveOneOutSplit.TrainingPopularity(kind.TrainingUsers(dataset, record, config), dataset.ItemCount);
        }
        var titles = folder.ReadTitles();
        var model = kind.Load(folder, checkpoint, device);
        try
        {
            return new OpenedRun(Path.GetFullPath(path), folder, record, kind, model, index, popularity, titles);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Recommender.Dispose();
        Model.Dispose();
    }
}
