using System.Text.Json.Nodes;
using Letter.Formats;
using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

/// <summary>A theory over a folder of ../shared; skipped with a message when it is absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute(params string[] requiredPath)
    {
        if (SharedData.Root is null)
            Skip = "needs ../shared beside the repository (or LETTER_SHARED); it is absent";
        else if (!File.Exists(SharedData.Path(requiredPath)) && !Directory.Exists(SharedData.Path(requiredPath)))
            Skip = $"needs ../shared/{string.Join('/', requiredPath)}; it is absent";
    }
}

/// <summary>
/// Our tokenizers against the ids Hugging Face's tokenizers 0.23.2 gives (../shared/models/tokenizers):
/// every corpus string, plain, with special tokens, and with the 1,024 identifier tokens added.
/// </summary>
public sealed class TokenizerGoldenTests
{
    internal static readonly string[] Folder = ["models", "tokenizers"];

    internal static IReadOnlyList<string> Identifiers() =>
        "abcd".SelectMany(p => Enumerable.Range(0, 256).Select(c => $"<{p}_{c}>")).ToList();

    internal static (string[] Corpus, JsonObject Golden) Golden(string name)
    {
        var corpus = JsonNode.Parse(File.ReadAllText(SharedData.Path([.. Folder, "corpus.json"])))!.AsArray().Select(n => n!.GetValue<string>()).ToArray();
        var golden = JsonNode.Parse(File.ReadAllText(SharedData.Path([.. Folder, name, "golden.json"])))!.AsObject();
        return (corpus, golden);
    }

    internal static HfTokenizer Load(string name) =>
        HfTokenizer.Load(SharedData.Path([.. Folder, name, "tokenizer.json"]), new LlamaConfig());

    /// <summary>Every mismatch of a tokenizer against one mode of the golden file, as lines.</summary>
    internal static List<string> Mismatches(LlmTokenizer tokenizer, string[] corpus, JsonObject golden, string mode, bool special)
    {
        var errors = new List<string>();
        var expected = golden[mode]!.AsArray();
        Assert.Equal(corpus.Length, expected.Count);
        for (int i = 0; i < corpus.Length; i++)
        {
            var ids = expected[i]!["ids"]!.AsArray().Select(x => x!.GetValue<int>()).ToArray();
            var got = tokenizer.Encode(corpus[i], special);
            if (!got.SequenceEqual(ids))
                errors.Add($"{mode} #{i} {System.Text.Json.JsonSerializer.Serialize(corpus[i][..Math.Min(60, corpus[i].Length)])}: ids [{string.Join(",", got.Take(40))}] expected [{string.Join(",", ids.Take(40))}]");
            var decoded = tokenizer.Decode(ids);
            var text = expected[i]!["decoded"]!.GetValue<string>();
            if (decoded != text)
                errors.Add($"{mode} #{i}: decoded {System.Text.Json.JsonSerializer.Serialize(decoded[..Math.Min(60, decoded.Length)])} expected {System.Text.Json.JsonSerializer.Serialize(text[..Math.Min(60, text.Length)])}");
        }
        return errors;
    }

    [SharedDataTheory("models", "tokenizers", "corpus.json")]
    [InlineData("llama2")]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void EveryString_EveryMode_GivesHuggingFacesIds_AndDecodesToItsText(string name)
    {
        var (corpus, golden) = Golden(name);
        var plain = Load(name);
        var errors = Mismatches(plain, corpus, golden, "plain", special: false);
        errors.AddRange(Mismatches(plain, corpus, golden, "with_special_tokens", special: true));
        var withIdentifiers = Load(name);
        withIdentifiers.AddTokens(Identifiers());
        Assert.Equal(golden["identifier_tokens"]!["first_id"]!.GetValue<int>(), withIdentifiers.TokenId("<a_0>"));
        Assert.Equal(withIdentifiers.TokenId("<a_0>") + 1023, withIdentifiers.TokenId("<d_255>"));
        errors.AddRange(Mismatches(withIdentifiers, corpus, golden, "with_identifier_tokens", special: false));
        Assert.True(errors.Count == 0, $"{errors.Count} mismatches:\n{string.Join("\n", errors.Take(12))}");
    }
}
