using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.IO;

namespace Letter.Tokenization;

/// <summary>
/// A trained tokenizer on disk: <c>tokenizer.json</c> (format, input dimension, full config) and
/// <c>tokenizer.weights</c> (TorchSharp module state: encoder, codebooks, decoder).
/// </summary>
public static class TokenizerStore
{
    public const string ConfigFile = "tokenizer.json";
    public const string WeightsFile = "tokenizer.weights";
    public const string Format = "letter-tokenizer/1";

    public static void Save(RqVae model, string dir)
    {
        var meta = new JsonObject
        {
            ["format"] = Format,
            ["input_dim"] = model.InputDim,
            ["latent_dim"] = model.LatentDim,
            ["config"] = JsonNode.Parse(model.Config.ToJson()),
        };
        AtomicFile.WriteAllText(Path.Combine(dir, ConfigFile), meta.ToJsonString(TokenizerConfig.Json));
        AtomicFile.Write(Path.Combine(dir, WeightsFile), stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            model.save(writer);
        });
    }

    public static RqVae Load(string dir)
    {
        var configPath = Path.Combine(dir, ConfigFile);
        var weightsPath = Path.Combine(dir, WeightsFile);
        if (!File.Exists(configPath)) throw new LetterDataException(configPath, null, "missing: not a trained tokenizer folder");
        if (!File.Exists(weightsPath)) throw new LetterDataException(weightsPath, null, "missing: the tokenizer weights are needed");
        JsonNode meta;
        try { meta = JsonNode.Parse(File.ReadAllText(configPath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new LetterDataException(configPath, null, $"not valid JSON: {e.Message}"); }
        if ((string?)meta["format"] != Format)
            throw new LetterDataException(configPath, "format", $"expected \"{Format}\"");
        int inputDim = (int?)meta["input_dim"] ?? throw new LetterDataException(configPath, "input_dim", "missing");
        var config = TokenizerConfig.FromJson(meta["config"]?.ToJsonString() ?? throw new LetterDataException(configPath, "config", "missing"));
        var model = new RqVae(inputDim, config);
        using (var stream = File.OpenRead(weightsPath))
        using (var reader = new BinaryReader(stream))
        {
            try { model.load(reader); }
            catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
            {
                throw new LetterDataException(weightsPath, null, $"does not match {ConfigFile}: {e.Message}");
            }
        }
        model.eval();
        return model;
    }
}
