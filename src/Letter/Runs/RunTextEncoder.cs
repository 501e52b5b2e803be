using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Embeddings;
using Letter.IO;
using Letter.Tokenization;

namespace Letter.Runs;

/// <summary>
/// The built-in text encoder a pipeline run embedded its items with (its embed/ stage), when its
/// tokenizer read that output: text of a new item can then stand for its embedding.
/// </summary>
public sealed record RunTextEncoder(TextEmbedderOptions Options)
{
    public static (RunTextEncoder? Encoder, string? Why) Find(string runDirectory, RunTokenizer tokenizer)
    {
        const string none = "this run embedded no item text with the built-in encoder (its tokenizer read given embeddings): send an embedding";
        var embedDir = Path.Combine(Path.GetFullPath(runDirectory), "embed");
        var record = Directory.Exists(embedDir) ? Directory.GetFiles(embedDir, "*.emb.npy.json").Order(StringComparer.Ordinal).FirstOrDefault() : null;
        if (record is null) return (null, none);
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(record));
            var options = node?["options"]?.Deserialize<TextEmbedderOptions>(LetterJson.Options);
            if (options is null || options.OnnxFile is not null || (int?)node?["dim"] != tokenizer.InputDim) return (null, none);
            var npy = record[..^".json".Length];
            var inputs = JsonNode.Parse(File.ReadAllText(Path.Combine(tokenizer.Directory, TokenizerPipeline.RunConfig)))?["inputs"]?.AsArray();
            var semantic = inputs?.FirstOrDefault(i => (string?)i?["role"] == "semantic");
            if (semantic is null || !File.Exists(npy) || !string.Equals((string?)semantic["sha256"], FileHash.Sha256(npy), StringComparison.OrdinalIgnoreCase))
                return (null, "the run's tokenizer was not trained on its embed/ output, so text cannot stand for an embedding: send an embedding");
            return (new RunTextEncoder(options), null);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return (null, none); }
    }
}
