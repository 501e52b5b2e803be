using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Models.Tiger;
using Letter.Tokenization;

namespace Letter.Service;

/// <summary>What a run folder holds besides the weights: read once per (re)load.</summary>
internal sealed class ServedRun
{
    public required string Directory { get; init; }
    public required string ModelDirectory { get; init; }
    public required string Name { get; init; }
    public required TigerRunInfo Info { get; init; }
    public required ItemIndex Index { get; init; }
    public required int[] Popularity { get; init; }
    public required string Checkpoint { get; init; }
    public required string CheckpointHash { get; init; }
    public required string[] BaseTitles { get; init; }
    /// <summary>Known users' full histories (oldest first), or null with <see cref="UsersUnavailable"/> saying why.</summary>
    public IReadOnlyDictionary<string, int[]>? Users { get; init; }
    public string? UsersUnavailable { get; init; }
    /// <summary>The trained tokenizer that made the run's index, or null with <see cref="TokenizerUnavailable"/> saying why.</summary>
    public string? TokenizerDirectory { get; init; }
    public int TokenizerInputDim { get; init; }
    public string? TokenizerUnavailable { get; init; }
    /// <summary>The built-in text encoder settings the run embedded its items with (its tokenizer read those embeddings), or null with <see cref="TextUnavailable"/>.</summary>
    public Letter.Embeddings.TextEmbedderOptions? TextOptions { get; init; }
    public string? TextUnavailable { get; init; }
    /// <summary>Codes per level the model knows (its vocabulary): a new item's codes must lie within them.</summary>
    public required int[] CodebookSizes { get; init; }
    public string AddedItemsFile => Path.Combine(ModelDirectory, ServedModel.AddedItemsFileName);

    /// <summary>A pipeline run folder holds the model in tiger/; a 'letter train' folder is the model folder itself.</summary>
    public static string ModelDirectoryOf(string path) => TigerRunFolder.ModelDirectory(path);

    public static ServedRun Read(string runDirectory)
    {
        var dir = Path.GetFullPath(runDirectory);
        var modelDir = ModelDirectoryOf(dir);
        var folder = new TigerRunFolder(modelDir);
        var info = folder.ReadInfo();
        var index = folder.ReadIndex();
        var checkpoint = folder.CheckpointFile(CheckpointChoice.Best);
        if (!File.Exists(checkpoint)) throw new LetterDataException(checkpoint, null, "is missing: the run has no trained checkpoint yet");

        // the dataset (outside the run folder) is optional: it gives user ids and, for old runs, titles
        LetterDataset? dataset = null;
        string? usersUnavailable = null;
        var datasetDir = ResolveDataset(info.DatasetDirectory, modelDir);
        if (datasetDir is null) usersUnavailable = $"the run's dataset ({info.DatasetDirectory}) is not reachable from this server, so user ids are unknown: send a history";
        else
        {
            try
            {
                dataset = LetterDataset.Load(datasetDir, loadIndex: false);
                if (dataset.ItemCount != index.ItemCount)
                {
                    usersUnavailable = $"the dataset at {datasetDir} has {dataset.ItemCount} items, the run {index.ItemCount}: user ids are not served";
                    dataset = null;
                }
            }
            catch (LetterDataException e) { usersUnavailable = $"the run's dataset could not be read ({e.Message}): send a history"; }
        }
        var popularity = File.Exists(folder.PopularityFile) ? folder.ReadPopularity(info)
            : dataset is not null ? LeaveOneOutSplit.TrainingPopularity(info.TrainingUsers(dataset), dataset.ItemCount)
            : new int[index.ItemCount]; // an old run without its dataset: shared identifiers list their items by id
        var titles = folder.ReadTitles();
        if (titles is null || titles.Length != index.ItemCount)
            titles = Enumerable.Range(0, index.ItemCount).Select(i => dataset?.Title(i) ?? $"item {i}").ToArray();

        var (tokDir, tokDim, tokWhy) = FindTokenizer(dir, modelDir, info);
        var (textOptions, textWhy) = tokDir is null ? (null, tokWhy) : FindTextEncoder(dir, tokDir, tokDim);
        return new ServedRun
        {
            Directory = dir,
            ModelDirectory = modelDir,
            Name = Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar)),
            Info = info,
            Index = index,
            Popularity = popularity,
            Checkpoint = checkpoint,
            CheckpointHash = FileHash.Sha256(checkpoint),
            BaseTitles = titles,
            Users = dataset?.Users.GroupBy(u => u.UserId).ToDictionary(g => g.Key, g => g.First().Items),
            UsersUnavailable = usersUnavailable,
            TokenizerDirectory = tokDir,
            TokenizerInputDim = tokDim,
            TokenizerUnavailable = tokWhy,
            TextOptions = textOptions,
            TextUnavailable = textWhy,
            CodebookSizes = index.CodebookSizes(),
        };
    }

    private static string? ResolveDataset(string path, string modelDir)
    {
        foreach (var candidate in Path.IsPathRooted(path) ? [path] : new[] { Path.GetFullPath(path), Path.GetFullPath(Path.Combine(modelDir, path)) })
            if (System.IO.Directory.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>The pipeline's embed/ stage, when the tokenizer was trained on its output and it used the built-in encoder.</summary>
    private static (Letter.Embeddings.TextEmbedderOptions? Options, string? Why) FindTextEncoder(string runDir, string tokDir, int tokDim)
    {
        const string none = "this run embedded no item text with the built-in encoder (its tokenizer read given embeddings): send an embedding";
        var embedDir = Path.Combine(runDir, "embed");
        var record = System.IO.Directory.Exists(embedDir) ? System.IO.Directory.GetFiles(embedDir, "*.emb.npy.json").Order(StringComparer.Ordinal).FirstOrDefault() : null;
        if (record is null) return (null, none);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(record));
            var options = node?["options"]?.Deserialize<Letter.Embeddings.TextEmbedderOptions>(LetterJson.Options);
            if (options is null || options.OnnxFile is not null || (int?)node?["dim"] != tokDim) return (null, none);
            var npy = record[..^".json".Length];
            var inputs = JsonNode.Parse(File.ReadAllText(Path.Combine(tokDir, TokenizerPipeline.RunConfig)))?["inputs"]?.AsArray();
            var semantic = inputs?.FirstOrDefault(i => (string?)i?["role"] == "semantic");
            if (semantic is null || !File.Exists(npy) || !string.Equals((string?)semantic["sha256"], FileHash.Sha256(npy), StringComparison.OrdinalIgnoreCase))
                return (null, "the run's tokenizer was not trained on its embed/ output, so text cannot stand for an embedding: send an embedding");
            return (options, null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return (null, none); }
    }

    /// <summary>The pipeline's tokenizer/ beside tiger/, when it made the very index the model was trained on.</summary>
    private static (string? Dir, int InputDim, string? Why) FindTokenizer(string runDir, string modelDir, TigerRunInfo info)
    {
        var dir = Path.Combine(runDir, "tokenizer");
        if (modelDir == runDir || !File.Exists(Path.Combine(dir, TokenizerStore.ConfigFile)))
            return (null, 0, "this run has no trained tokenizer (a 'letter run' folder keeps one in tokenizer/; a 'letter train' folder on a given index has none), so new items cannot get identifiers");
        var indexFile = System.IO.Directory.GetFiles(dir, "*.index.json").Order(StringComparer.Ordinal).FirstOrDefault();
        if (indexFile is null || !string.Equals(FileHash.Sha256(indexFile), info.IndexSha256, StringComparison.OrdinalIgnoreCase))
            return (null, 0, "the run's tokenizer/ did not make the index the model was trained on, so its identifiers would mean nothing to the model");
        try
        {
            var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, TokenizerStore.ConfigFile)));
            int dim = (int?)meta?["input_dim"] ?? 0;
            if (dim <= 0) return (null, 0, "the run's tokenizer/tokenizer.json names no input dimension");
            return (dir, dim, null);
        }
        catch (JsonException) { return (null, 0, "the run's tokenizer/tokenizer.json is not valid JSON"); }
    }
}
