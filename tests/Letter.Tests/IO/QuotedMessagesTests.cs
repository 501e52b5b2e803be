using System.Text;
using Letter.Data;
using Letter.IO;
using Letter.Pipeline;

namespace Letter.Tests.IO;

/// <summary>The dataset readers and the config reader quote input escaped, and bytes that are not UTF-8 are a data error, not a crash.</summary>
public class QuotedMessagesTests
{
    public sealed record Settings(int Seed = 42);

    private static void AssertClean(string message) =>
        Assert.DoesNotContain(message, c => char.IsControl(c) || char.IsSurrogate(c));

    [Fact]
    public void Config_keys_and_values_are_escaped()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("c.json"), "{\"\\u001b[2J\": 1}");
        var e = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Settings(), dir.File("c.json")));
        Assert.StartsWith($"{dir.File("c.json")}: unknown key '\\x1b[2J' (known keys here: seed)", e.Message);
        AssertClean(e.Message);
        var o = Assert.Throws<LetterConfigException>(() => ConfigJson.Load(new Settings(), null, [new("seed", "4\u001b]0;x\u0007")]));
        Assert.StartsWith("setting 'seed': '4\\x1b]0;x\\x07' is not a valid", o.Message);
        AssertClean(o.Message);
    }

    [Fact]
    public void Config_json_syntax_errors_with_control_bytes_are_escaped()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("c.json"), "{\"seed\": \u001b[2J}"u8.ToArray());
        var e = Assert.Throws<LetterDataException>(() => ConfigJson.Load(new Settings(), dir.File("c.json")));
        Assert.StartsWith($"{dir.File("c.json")}: line 1: malformed JSON: ", e.Message);
        AssertClean(e.Message);
    }

    [Fact]
    public void Interactions_with_a_user_id_that_is_not_utf8_are_a_data_error_naming_the_line()
    {
        var bytes = Encoding.UTF8.GetBytes("{\n  \"0\": [1],\n  \"").Concat(new byte[] { 0xFF, 0x41 }).Concat(Encoding.UTF8.GetBytes("\": [2]\n}\n")).ToArray();
        var e = Assert.Throws<LetterDataException>(() => InteractionsReader.Parse("x.inter.json", bytes));
        Assert.Equal("x.inter.json: line 3: a string is not text: it holds bytes that are not UTF-8 or an escaped lone surrogate (\\uD800-\\uDFFF without its pair)", e.Message);
    }

    [Fact]
    public void Index_tokens_with_terminal_escapes_are_quoted_escaped()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"0\": [\"\\u001b[2J\"]}");
        var e = Assert.Throws<LetterDataException>(() => ItemIndexReader.Parse("x.index.json", bytes));
        Assert.Equal("x.index.json: item \"0\": token \"\\x1b[2J\" is not of the form \"<a_12>\"", e.Message);
    }

    [Fact]
    public void Interactions_with_a_string_item_quote_it_escaped()
    {
        var e = Assert.Throws<LetterDataException>(() => InteractionsReader.Parse("x.inter.json", Encoding.UTF8.GetBytes("{\"u\\u0007\": [\"a\\u001bb\"]}")));
        Assert.Equal("x.inter.json: user \"u\\x07\", position 0: item id must be an integer, found the string \"a\\\\u001bb\"", e.Message);
        AssertClean(e.Message);
    }
}
