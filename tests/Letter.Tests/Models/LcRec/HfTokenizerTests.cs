using Letter.Models.LcRec;

namespace Letter.Tests.Models.LcRec;

public sealed class HfTokenizerTests
{
    // a GPT-2-style byte-level BPE: "Ġ" is the byte-level form of a space
    private const string ByteLevel = """
        {"model": {"type": "BPE", "vocab": {"H": 0, "e": 1, "l": 2, "o": 3, "Ġ": 4, "w": 5, "r": 6, "d": 7, "He": 8, "ll": 9, "Hell": 10,
                   "Hello": 11, "Ġw": 12, "or": 13, "Ġwor": 14, "Ġworl": 15, "Ġworld": 16, ",": 17},
                   "merges": ["H e", "l l", "He ll", "Hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d"]},
         "added_tokens": [{"id": 18, "content": "<|endoftext|>", "special": true}],
         "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false}}
        """;

    [Fact]
    public void ByteLevelBpe_MergesByRank_AndKeepsIdentifierTokensWhole()
    {
        using var dir = new TempDir();
        System.IO.File.WriteAllText(dir.File("tokenizer.json"), ByteLevel);
        var tokenizer = HfTokenizer.Load(dir.File("tokenizer.json"), new LlamaConfig { BosTokenId = 18, EosTokenId = 18 });
        Assert.Equal(19, tokenizer.BaseCount);
        Assert.Equal(new[] { 11, 16 }, tokenizer.Encode("Hello world"));
        Assert.Equal(new[] { 8, 2, 3 }, tokenizer.Encode("Helo")); // "He" then no "lo" merge
        tokenizer.AddTokens(["<a_0>", "<b_1>"]);
        var ids = tokenizer.Encode("Hello<a_0><b_1>, world");
        Assert.Equal(new[] { 11, 19, 20, 17, 16 }, ids);
        Assert.Equal("Hello<a_0><b_1>, world", tokenizer.Decode(ids));
        Assert.Equal("Hello", tokenizer.Decode([11, 18])); // special tokens decode to nothing
    }

    [Fact]
    public void SentencePieceStyleBpe_UsesMergeRanksAndByteFallback()
    {
        using var dir = new TempDir();
        System.IO.File.WriteAllText(dir.File("tokenizer.json"), """
            {"model": {"type": "BPE", "byte_fallback": true,
                       "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "<0x21>": 4, "▁": 5, "a": 6, "b": 7, "▁a": 8, "ab": 9, "▁ab": 10},
                       "merges": ["▁ a", "a b", "▁a b"]},
             "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true}, {"id": 2, "content": "</s>", "special": true}]}
            """);
        var tokenizer = HfTokenizer.Load(dir.File("tokenizer.json"), new LlamaConfig { BosTokenId = 1, EosTokenId = 2 });
        Assert.IsType<SentencePieceTokenizer>(tokenizer);
        var ids = tokenizer.Encode("ab b\n!");
        Assert.Equal(new[] { 10, 5, 7, 3, 4 }, ids); // "▁ab", "▁", "b", bytes 0x0A and 0x21
        Assert.Equal("ab b\n!", tokenizer.Decode(ids));
    }
}
