using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Kinds;
using Letter.Runs;

namespace Letter.Service;

/// <summary>
/// A run folder opened for serving, whatever its kind (<see cref="OpenedRun"/>: the run record names it):
/// the loaded model, the trained catalogue, titles, the known users' histories when the dataset is
/// reachable, and the run's tokenizer and text encoder for new items. Read once per (re)load.
/// </summary>
internal sealed class ServedRun : IDisposable
{
    private ServedRun(OpenedRun opened) => Opened = opened;

    /// <summary>The opened run: it owns the model's weights (released with the last catalogue generation that uses them).</summary>
    public OpenedRun Opened { get; }
    public required string Name { get; init; }
    public string KindName => Opened.Kind.Name;
    public ItemIndex Index => Opened.Index;
    public int[] Popularity => Opened.Popularity;
    public required string CheckpointHash { get; init; }
    public required string[] BaseTitles { get; init; }
    /// <summary>
    /// The dataset's own ids of the trained items and of users (<see cref="RunIds.Read"/>): the run folder's
    /// copy, so a run moved away from its dataset still maps them; else the dataset's maps; else dense.
    /// </summary>
    public required RunIds Ids { get; init; }
    /// <summary>Known users' full histories (oldest first) by the inter file's user key, or null with <see cref="UsersUnavailable"/> saying why.</summary>
    public IReadOnlyDictionary<string, int[]>? Users { get; init; }
    public string? UsersUnavailable { get; init; }
    /// <summary>The trained tokenizer that made the run's index, or null with <see cref="TokenizerUnavailable"/> saying why.</summary>
    public RunTokenizer? Tokenizer { get; init; }
    public string? TokenizerUnavailable { get; init; }
    /// <summary>The built-in text encoder the run embedded its items with (its tokenizer read those embeddings), or null with <see cref="TextUnavailable"/>.</summary>
    public RunTextEncoder? TextEncoder { get; init; }
    public string? TextUnavailable { get; init; }
    /// <summary>Codes per level the model knows (its vocabulary): a new item's codes must lie within them.</summary>
    public int[] CodebookSizes => Opened.Model.CodebookSizes;
    public string AddedItemsFile => Path.Combine(Opened.Folder.Directory, ServedModel.AddedItemsFileName);

    /// <param name="device">where the model lives and decodes</param>
    public static ServedRun Read(string runDirectory, bool bf16, ComputeDevice device = default)
    {
        var dir = Path.GetFullPath(runDirectory);
        var opened = OpenedRun.Open(dir, device: device);
        try
        {
            if (bf16) opened.Model.UseBf16();
            var index = opened.Index;
            // the dataset (outside the run folder) is optional: it gives user ids and, for old runs, titles
            LetterDataset? dataset = null;
            string? usersUnavailable = null;
            var datasetDir = ResolveDataset(opened.DatasetDirectory, opened.Folder.Directory);
            if (datasetDir is null)
                usersUnavailable = $"the run's dataset ({opened.DatasetDirectory}) is not reachable from this server: users' histories come from the dataset " +
                    "(the run folder keeps only its id maps), so send a history";
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
            var titles = opened.Titles;
            if (titles is null || titles.Length != index.ItemCount)
                titles = Enumerable.Range(0, index.ItemCount).Select(i => dataset?.Title(i) ?? $"item {i}").ToArray();
            var (tokenizer, tokenizerWhy) = opened.Tokenizer();
            var (encoder, encoderWhy) = tokenizer is null ? (null, tokenizerWhy) : tokenizer.TextEncoder(dir);
            return new ServedRun(opened)
            {
                Name = Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar)),
                // a map that does not fit the run (an older run whose dataset was imported again) fails the load rather than mislabel items
                Ids = RunIds.Read(opened.Folder, datasetDir, index.ItemCount),
                CheckpointHash = HashOf(opened.Model.Checkpoint),
                BaseTitles = titles,
                Users = dataset?.Users.GroupBy(u => u.UserId).ToDictionary(g => g.Key, g => g.First().Items),
                UsersUnavailable = usersUnavailable,
                Tokenizer = tokenizer,
                TokenizerUnavailable = tokenizerWhy,
                TextEncoder = encoder,
                TextUnavailable = encoderWhy,
            };
        }
        catch
        {
            opened.Dispose();
            throw;
        }
    }

    /// <summary>A checkpoint file's SHA-256, or for a checkpoint folder (an adapter and its files) the hash of its files' names and hashes.</summary>
    private static string HashOf(string checkpoint)
    {
        if (File.Exists(checkpoint)) return FileHash.Sha256(checkpoint);
        var files = Directory.GetFiles(checkpoint, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(f => Path.GetRelativePath(checkpoint, f) + ":" + FileHash.Sha256(f));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", files))));
    }

    private static string? ResolveDataset(string path, string modelDir)
    {
        foreach (var candidate in Path.IsPathRooted(path) ? [path] : new[] { Path.GetFullPath(path), Path.GetFullPath(Path.Combine(modelDir, path)) })
            if (Directory.Exists(candidate)) return candidate;
        return null;
    }

    public void Dispose() => Opened.Dispose();
}
