using System.Text.Json.Nodes;
using Letter.Formats;
using Letter.IO;
using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

/// <summary>
/// A GGUF "gpt2" vocabulary (as llama.cpp's converter writes LLaMA 3's and Qwen's tokenizer.json into
/// the file: tokens by id, merges, token types, the pre-tokenizer's name) gives Hugging Face's ids.
/// </summary>
public sealed class GgufVocabularyTests
{
    /// <summary>A GGUF holding only the vocabulary of a shared tokenizer.json, converted as llama.cpp converts it.</summary>
    private static string WriteGguf(TempDir dir, string name, string pre)
    {
        var root = JsonNode.Parse(File.ReadAllText(SharedData.Path([.. TokenizerGoldenTests.Folder, name, "tokenizer.json"])))!;
        var vocab = root["model"]!["vocab"]!.AsObject().ToDictionary(kv => kv.Value!.GetValue<int>(), kv => kv.Key);
        var added = root["added_tokens"]!.AsArray().ToDictionary(t => t!["id"]!.GetValue<int>(), t => t!);
        int count = Math.Max(vocab.Keys.Max(), added.Keys.Max()) + 1;
        var tokens = new string[count];
        var types = new int[count];
        for (int i = 0; i < count; i++)
        {
            if (added.TryGetValue(i, out var a))
            {
                tokens[i] = a["content"]!.GetValue<string>();
                types[i] = a["special"]!.GetValue<bool>() ? 3 : 4; // control, user-defined
            }
            else
            {
                tokens[i] = vocab.TryGetValue(i, out var t) ? t : $"[PAD{i}]";
                types[i] = 1;
            }
        }
        var merges = root["model"]!["merges"]!.AsArray().Select(m => m is JsonArray p ? $"{p[0]} {p[1]}" : m!.GetValue<string>()).ToList();
        var path = dir.File($"{name}.gguf");
        new GgufWriter().String("general.architecture", "llama").String("tokenizer.ggml.model", "gpt2").String("tokenizer.ggml.pre", pre)
            .Strings("tokenizer.ggml.tokens", tokens).Ints("tokenizer.ggml.token_type", types).Strings("tokenizer.ggml.merges", merges)
            .UInt32("tokenizer.ggml.bos_token_id", 0).UInt32("tokenizer.ggml.eos_token_id", 1).Bool("tokenizer.ggml.add_bos_token", false)
            .Write(path);
        return path;
    }

    [SharedDataTheory("models", "tokenizers", "corpus.json")]
    [InlineData("llama3", "llama-bpe")]
    [InlineData("qwen3", "qwen2")]
    public void ByteLevelGgufVocabulary_GivesHuggingFacesIds(string name, string pre)
    {
        using var dir = new TempDir();
        var path = WriteGguf(dir, name, pre);
        var (corpus, golden) = TokenizerGoldenTests.Golden(name);
        var plain = GgufCheckpoint.ReadTokenizer(GgufFile.Read(path));
        Assert.IsType<HfTokenizer>(plain);
        var errors = TokenizerGoldenTests.Mismatches(plain, corpus, golden, "plain", special: false);
        var withIdentifiers = GgufCheckpoint.ReadTokenizer(GgufFile.Read(path));
        withIdentifiers.AddTokens(TokenizerGoldenTests.Identifiers());
        errors.AddRange(TokenizerGoldenTests.Mismatches(withIdentifiers, corpus, golden, "with_identifier_tokens", special: false));
        Assert.True(errors.Count == 0, $"{errors.Count} mismatches:\n{string.Join("\n", errors.Take(12))}");
    }

    [Fact]
    public void UnknownVocabularies_AreRefusedNamingTheOnesRead()
    {
        using var dir = new TempDir();
        var path = dir.File("v.gguf");
        new GgufWriter().String("tokenizer.ggml.model", "t5").Strings("tokenizer.ggml.tokens", ["a"]).Write(path);
        var e = Assert.Throws<LetterDataException>(() => GgufCheckpoint.ReadTokenizer(GgufFile.Read(path)));
        Assert.Equal("tokenizer.ggml.model", e.Record);
        Assert.Contains("is \"t5\"; Letter reads the GGUF vocabularies \"llama\" (SentencePiece-style) and \"gpt2\" (byte-level BPE)", e.Message);
        new GgufWriter().String("tokenizer.ggml.model", "gpt2").String("tokenizer.ggml.pre", "deepseek-llm").Strings("tokenizer.ggml.tokens", ["a"])
            .Strings("tokenizer.ggml.merges", []).Write(path);
        e = Assert.Throws<LetterDataException>(() => GgufCheckpoint.ReadTokenizer(GgufFile.Read(path)));
        Assert.Equal("tokenizer.ggml.pre", e.Record);
        Assert.Contains("llama3 (llama-bpe), qwen2, smollm and gpt-2", e.Message);
    }
}
