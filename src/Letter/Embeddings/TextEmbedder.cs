using System.Diagnostics;
using System.Text.Json;
using Letter.Data;
using Letter.Formats;
using Letter.IO;
using Letter.Progress;

namespace Letter.Embeddings;

/// <summary>What <see cref="TextEmbedder.EmbedDataset"/> produced and how long it took.</summary>
public sealed record TextEmbeddingResult(FloatMatrix Embeddings, string Model, double Seconds, double ItemsPerSecond, int EmptyTexts);

/// <summary>
/// Item text embeddings for a dataset: one row per item (row i = item i), float32 [items, dim],
/// written atomically as .npy with the run's settings in <c>FILE.npy.json</c> beside it.
/// </summary>
public static class TextEmbedder
{
    /// <summary>The texts that get embedded, one per item: the chosen fields joined by single spaces.</summary>
    public static string[] ItemTexts(LetterDataset dataset, IReadOnlyList<string> fields)
    {
        var items = dataset.Items ?? throw new LetterDataException(dataset.Folder.ItemFile, null,
            "file not found: text embeddings need item text (NAME.item.json); bring your own embeddings as an .npy instead");
        return items.Select(t => t.Compose(fields)).ToArray();
    }

    public static TextEmbeddingResult EmbedDataset(LetterDataset dataset, TextEmbedderOptions options, string? outFile, CancellationToken cancel = default,
        IProgress<ProgressUpdate>? progress = null)
    {
        options.Validate();
        if (outFile is not null) OutputPath.RequireFile(outFile, "the embedding file");
        var texts = ItemTexts(dataset, options.Fields);
        var clock = Stopwatch.StartNew();
        using var encoder = new BertEncoder(options);
        using var bar = new ProgressTask(progress, $"embed {dataset.Name}", texts.Length);
        var matrix = encoder.Encode(texts, done => bar.Report(done), cancel);
        var seconds = clock.Elapsed.TotalSeconds;
        bar.Finish($"{texts.Length / Math.Max(seconds, 1e-9):0} items/s");
        var result = new TextEmbeddingResult(matrix, encoder.ModelName, seconds, texts.Length / Math.Max(seconds, 1e-9),
            texts.Count(string.IsNullOrEmpty));
        if (outFile is not null)
        {
            NpyFile.Write(outFile, matrix);
            AtomicFile.WriteAllText(outFile + ".json", ConfigJson(dataset, options, result));
        }
        return result;
    }

    private static string ConfigJson(LetterDataset dataset, TextEmbedderOptions options, TextEmbeddingResult result)
    {
        var config = new
        {
            command = "embed",
            dataset = Path.GetFullPath(dataset.Folder.Directory),
            items = result.Embeddings.Rows,
            dim = result.Embeddings.Cols,
            model = result.Model,
            options = LetterJson.Node(options with { OnnxFile = options.OnnxFile is null ? null : Path.GetFullPath(options.OnnxFile), VocabFile = options.VocabFile is null ? null : Path.GetFullPath(options.VocabFile) }),
            empty_texts = result.EmptyTexts,
            seconds = Math.Round(result.Seconds, 2),
            items_per_second = Math.Round(result.ItemsPerSecond, 1),
            created_utc = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ"),
        };
        return JsonSerializer.Serialize(config, LetterJson.Options) + "\n";
    }
}
