using System.CommandLine;
using Letter.Data;
using Letter.Embeddings;

using Letter.Cli.Progress;
using Letter.Formats;

namespace Letter.Cli.Commands;

/// <summary><c>letter embed DIR</c>: item text embeddings with a built-in or user-supplied BERT-style encoder.</summary>
public static class EmbedCommand
{
    public static Command Build()
    {
        var defaults = new TextEmbedderOptions();
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout with NAME.item.json" };
        var output = new Option<string?>("--out") { Description = "Output .npy, float32 [items, dim], row i = item i (default: DIR/NAME.emb-minilm.npy, or DIR/NAME.emb-<model>.npy with --onnx)" };
        var fields = new Option<string>("--fields") { Description = "Item fields joined by spaces, in this order (those present)", DefaultValueFactory = _ => string.Join(',', defaults.Fields) };
        var onnx = new Option<string?>("--onnx") { Description = "A BERT-style ONNX encoder (inputs input_ids, attention_mask[, token_type_ids]; output last_hidden_state) instead of the built-in all-MiniLM-L6-v2" };
        var vocab = new Option<string?>("--vocab") { Description = "The WordPiece vocab.txt of the --onnx model" };
        var pooling = new Option<string>("--pooling") { Description = "mean (over the attention mask) or cls (first token)", DefaultValueFactory = _ => "mean" };
        var cased = new Option<bool>("--cased") { Description = "Keep case and accents (for cased models); default lower-cases and strips accents" };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Keep the pooled vectors as they are instead of L2-normalising them" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Tokens per text including [CLS] and [SEP]; longer texts are cut", DefaultValueFactory = _ => defaults.MaxTokens };
        var batch = new Option<int>("--batch-size") { Description = "Texts per ONNX call (texts are sorted by length, so batches hold similar lengths)", DefaultValueFactory = _ => defaults.BatchSize };
        var force = new Option<bool>("--force") { Description = "Replace the default output file when it exists (an explicit --out is always replaced)" };
        var compare = new Option<string?>("--compare") { Description = "A reference .npy with one row per item: print the row-by-row cosine agreement with it after embedding" };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime threads", DefaultValueFactory = _ => defaults.Threads };
        var cmd = new Command("embed", "Embed each item's text (title, description, categories, brand) into one vector per item, written as a float32 .npy")
        {
            dir, output, fields, onnx, vocab, pooling, cased, noNormalize, maxTokens, batch, threads, force, compare,
        };
        cmd.SetAction((parse, cancel) =>
        {
            var options = new TextEmbedderOptions
            {
                OnnxFile = parse.GetValue(onnx),
                VocabFile = parse.GetValue(vocab),
                Pooling = parse.GetValue(pooling) switch
                {
                    "mean" => Pooling.Mean,
                    "cls" => Pooling.Cls,
                    var p => throw new UsageException($"--pooling must be mean or cls (got '{p}')"),
                },
                Uncased = !parse.GetValue(cased),
                Normalize = !parse.GetValue(noNormalize),
                MaxTokens = parse.GetValue(maxTokens),
                BatchSize = parse.GetValue(batch),
                Threads = parse.GetValue(threads),
                Fields = parse.GetValue(fields)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            };
            try { options.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var dataset = LetterDataset.Load(parse.GetValue(dir)!, loadIndex: false);
            var outFile = parse.GetValue(output) ?? DefaultOutput(dataset, options);
            if (parse.GetValue(output) is null && File.Exists(outFile) && !parse.GetValue(force))
                throw new UsageException($"{outFile} exists; pass --force to replace it or --out to write elsewhere");
            var result = TextEmbedder.EmbedDataset(dataset, options, outFile, cancel, ConsoleProgress.Instance);
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {outFile}: {result.Embeddings.Rows} x {result.Embeddings.Cols} ({result.Model}), " +
                $"{result.Seconds:0.0} s, {result.ItemsPerSecond:0} items/s" +
                (result.EmptyTexts > 0 ? $"; {result.EmptyTexts} items have no text (embedded as the empty string)" : ""));
            if (parse.GetValue(compare) is { } reference)
            {
                var expected = Formats.NpyFile.Read(reference).RequireRows(result.Embeddings.Rows, reference, "the reference");
                if (expected.Cols != result.Embeddings.Cols)
                    throw new IO.LetterDataException(reference, null, $"has {expected.Cols} columns, the embeddings have {result.Embeddings.Cols}");
                parse.InvocationConfiguration.Output.WriteLine($"against {reference}: {RowCosine.Compare(result.Embeddings, expected)}");
            }
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static string DefaultOutput(LetterDataset dataset, TextEmbedderOptions options)
    {
        if (options.OnnxFile is null) return dataset.Folder.SemanticEmbeddingFile;
        var model = Path.GetFileNameWithoutExtension(options.OnnxFile);
        return Path.Combine(dataset.Folder.Directory, $"{dataset.Name}.emb-{model}.npy");
    }
}
