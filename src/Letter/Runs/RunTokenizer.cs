using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;
using Letter.Tokenization;

namespace Letter.Runs;

/// <summary>
/// The trained item tokenizer of a pipeline run (its tokenizer/ stage), when it made the very index the
/// model was trained on: it gives identifiers to items added after training.
/// </summary>
public sealed record RunTokenizer(string Directory, int InputDim)
{
    /// <summary>
    /// The tokenizer/ folder beside the model folder of a pipeline run, or null with the reason a host
    /// can show (a 'letter train' folder has none; a tokenizer that made another index does not count).
    /// </summary>
    public static (RunTokenizer? Tokenizer, string? Why) Find(string runDirectory, string modelDirectory, string indexSha256)
    {
        var dir = Path.Combine(Path.GetFullPath(runDirectory), "tokenizer");
        if (Path.GetFullPath(modelDirectory) == Path.GetFullPath(runDirectory) || !File.Exists(Path.Combine(dir, TokenizerStore.ConfigFile)))
            return (null, "this run has no trained tokenizer (a 'letter run' folder keeps one in tokenizer/; a 'letter train' folder on a given index has none), so new items cannot get identifiers");
        var indexFile = System.IO.Directory.GetFiles(dir, "*.index.json").Order(StringComparer.Ordinal).FirstOrDefault();
        if (indexFile is null || !string.Equals(FileHash.Sha256(indexFile), indexSha256, StringComparison.OrdinalIgnoreCase))
            return (null, "the run's tokenizer/ did not make the index the model was trained on, so its identifiers would mean nothing to the model");
        try
        {
            var meta = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, TokenizerStore.ConfigFile)));
            int dim = (int?)meta?["input_dim"] ?? 0;
            if (dim <= 0) return (null, "the run's tokenizer/tokenizer.json names no input dimension");
            return (new RunTokenizer(dir, dim), null);
        }
        catch (JsonException) { return (null, "the run's tokenizer/tokenizer.json is not valid JSON"); }
    }

    /// <summary>
    /// The built-in text encoder settings the pipeline embedded its items with (its embed/ stage), when
    /// this tokenizer was trained on that output, or null with the reason.
    /// </summary>
    public (RunTextEncoder? Encoder, string? Why) TextEncoder(string runDirectory) => RunTextEncoder.Find(runDirectory, this);
}
