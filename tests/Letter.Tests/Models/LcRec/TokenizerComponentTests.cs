using System.Text.Json.Nodes;
using Letter.IO;
using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

/// <summary>tokenizer.json components the golden files do not reach, each against tokenizers' documented behaviour.</summary>
public sealed class TokenizerComponentTests
{
    private static HfPreTokenizer Pre(string json) => HfPreTokenizer.Read(JsonNode.Parse(json), "t.json", "pre_tokenizer")!;

    private static string[] Split(HfPreTokenizer p, string text, bool atStart = true) =>
        p.Apply([new TextPiece(text, atStart)]).Select(x => x.Text).ToArray();

    [Fact]
    public void SplitBehaviours_AsTokenizersDefinesThem()
    {
        string Json(string behavior, bool invert = false) => $$"""{"type": "Split", "pattern": {"String": "-"}, "behavior": "{{behavior}}", "invert": {{(invert ? "true" : "false")}}}""";
        Assert.Equal(["a", "b", "c"], Split(Pre(Json("Removed")), "a-b--c"));
        Assert.Equal(["a", "-", "b", "-", "-", "c"], Split(Pre(Json("Isolated")), "a-b--c"));
        Assert.Equal(["a-", "b-", "-", "c"], Split(Pre(Json("MergedWithPrevious")), "a-b--c"));
        Assert.Equal(["a", "-b", "-", "-c"], Split(Pre(Json("MergedWithNext")), "a-b--c"));
        Assert.Equal(["a", "-", "b", "--", "c"], Split(Pre(Json("Contiguous")), "a-b--c"));
        Assert.Equal(["-", "-", "-"], Split(Pre(Json("Removed", invert: true)), "a-b--c"));
        Assert.Equal(["a", "1", "2", "b", "3"], Split(Pre("""{"type": "Digits", "individual_digits": true}"""), "a12b3"));
        Assert.Equal(["a", "12", "b", "3"], Split(Pre("""{"type": "Digits", "individual_digits": false}"""), "a12b3"));
    }

    [Fact]
    public void Metaspace_PrependsAsItsSchemeSays()
    {
        var first = Pre("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": true}""");
        Assert.Equal(["▁hello", "▁world"], Split(first, "hello world"));
        Assert.Equal(["after", "▁token"], Split(first, "after token", atStart: false));
        var always = Pre("""{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": false}""");
        Assert.Equal(["▁after▁token"], Split(always, "after token", atStart: false));
    }

    [Fact]
    public void RegexRunsOverCodePoints_SoAstralLettersAreLetters()
    {
        // 𝐀 (U+1D400) is a letter: Oniguruma's \p{L}+ takes "𝐀𝐁c" whole; .NET alone would see surrogates
        var p = Pre("""{"type": "Split", "pattern": {"Regex": "\\p{L}+|[^\\p{L}]+"}, "behavior": "Isolated", "invert": false}""");
        Assert.Equal(["𝐀𝐁c", " 🎸 ", "d"], Split(p, "𝐀𝐁c 🎸 d"));
    }

    private const string DefaultDecoder = """, "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"}]}""";

    private static HfTokenizer Load(TempDir dir, string extra)
    {
        File.WriteAllText(dir.File("tokenizer.json"), $$"""
            {"model": {"type": "BPE", "byte_fallback": true, "vocab": {"<unk>": 0, "a": 1, "b": 2, "▁": 3, "<0xE2>": 4, "<0x84>": 5, "<0xA2>": 6}, "merges": []}
             {{(extra.Contains("\"decoder\"") ? "" : DefaultDecoder)}}
             {{extra}}}
            """);
        return HfTokenizer.Load(dir.File("tokenizer.json"), new LlamaConfig());
    }

    [Fact]
    public void ByteFallbackDecoding_JoinsBytesAcrossTokens_AndMarksEachBadByte()
    {
        using var dir = new TempDir();
        var t = Load(dir, "");
        Assert.Equal(new[] { 4, 5, 6 }, t.Encode("™"));
        Assert.Equal("a™b", t.Decode([1, 4, 5, 6, 2]));
        Assert.Equal("a\uFFFD\uFFFDb", t.Decode([1, 4, 5, 2])); // a truncated character: one U+FFFD per byte, as tokenizers does
    }

    [Fact]
    public void AddedTokenFlags_LstripRstripSingleWord()
    {
        using var dir = new TempDir();
        const string added = """[{"id": 7, "content": "<x>", "special": true, "lstrip": true, "rstrip": true, "normalized": false}, {"id": 8, "content": "ab", "special": false, "single_word": true, "normalized": false}]""";
        var t = Load(dir, ", \"added_tokens\": " + added);
        Assert.Equal(new[] { 1, 7, 2 }, t.Encode("a  <x>  b")); // the spaces around <x> go with it
        Assert.Equal(new[] { 8, 3, 1, 2, 1 }, t.Encode("ab▁aba"));  // "ab" alone matches; inside "aba" it does not
    }

    [Theory]
    [InlineData("normalizer", """{"type": "Precompiled", "precompiled_charsmap": ""}""", "is a Precompiled normalizer; Letter runs NFC")]
    [InlineData("pre_tokenizer", """{"type": "BertPreTokenizer"}""", "is a BertPreTokenizer pre-tokenizer; Letter runs Split")]
    [InlineData("decoder", """{"type": "WordPiece", "prefix": "##"}""", "is a WordPiece decoder; Letter runs ByteLevel")]
    [InlineData("post_processor", """{"type": "Whatever"}""", "is a Whatever post-processor; Letter runs TemplateProcessing")]
    [InlineData("truncation", """{"max_length": 512}""", "is set; Letter neither truncates nor pads")]
    public void ComponentsLetterDoesNotRun_AreRefusedByName(string field, string json, string expected)
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LetterDataException>(() => Load(dir, $", \"{field}\": {json}"));
        Assert.Equal(dir.File("tokenizer.json"), e.File);
        Assert.Equal(field, e.Record);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void AKeyTwice_IsRefused()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<LetterDataException>(() => Load(dir, """, "normalizer": null, "normalizer": {"type": "NFC"}"""));
        Assert.Equal(dir.File("tokenizer.json"), e.File);
        Assert.Contains("is not valid JSON", e.Message);
    }

    [Fact]
    public void OtherModels_AreRefusedByName()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("tokenizer.json"), """{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}""");
        var e = Assert.Throws<LetterDataException>(() => HfTokenizer.Load(dir.File("tokenizer.json"), new LlamaConfig()));
        Assert.Equal("model.type", e.Record);
        Assert.Contains("is \"Unigram\"; Letter reads BPE tokenizers", e.Message);
    }
}
