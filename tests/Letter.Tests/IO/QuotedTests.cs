using System.Text;
using Letter.IO;

namespace Letter.Tests.IO;

public class QuotedTests
{
    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("Café 東京 😀", "Café 東京 😀")]
    [InlineData("\u001b[2J", @"\x1b[2J")]
    [InlineData("\u001b]0;title\u0007", @"\x1b]0;title\x07")]
    [InlineData("a\0b\tc\nd\re", @"a\x00b\x09c\x0ad\x0de")]
    [InlineData("del\u007f c1\u009b", @"del\x7f c1\x9b")]
    [InlineData("back\\slash", @"back\\slash")]
    [InlineData("rtl\u202Eevil zw\u200B ls\u2028", @"rtl\u202eevil zw\u200b ls\u2028")]
    [InlineData("tag\U000E0041", @"tag\U000e0041")]
    public void Escape_Text_ShowsPrintableAndEscapesTheRest(string input, string expected) =>
        Assert.Equal(expected, Quoted.Escape(input));

    [Fact]
    public void Escape_Text_LoneSurrogatesAreShownAsCodeUnits()
    {
        Assert.Equal(@"a\ud800b", Quoted.Escape("a\uD800b"));
        Assert.Equal(@"\udc00", Quoted.Escape("\uDC00"));
        Assert.Equal(@"x\ud83d", Quoted.Escape("x\uD83D"));   // a high surrogate at the end
    }

    [Fact]
    public void Escape_Text_CutsLongValuesWithAMarkerOfWhatWasLeftOut()
    {
        var text = new string('a', 100);
        Assert.Equal(new string('a', 10) + "...(+90 chars)", Quoted.Escape(text, 10));
        Assert.Equal(text, Quoted.Escape(text, 100));
        Assert.Equal("...(+100 chars)", Quoted.Escape(text, 0));
    }

    [Fact]
    public void Escape_Text_TheCutNeverSplitsASurrogatePair()
    {
        // "ab" then an emoji (2 UTF-16 units): a cut at 3 would fall inside the pair
        Assert.Equal("ab...(+2 chars)", Quoted.Escape("ab😀", 3));
        Assert.Equal("ab😀", Quoted.Escape("ab😀", 4));
    }

    [Fact]
    public void Escape_Text_EscapesCountAsOneCharacterOfTheOriginal()
    {
        Assert.Equal(@"\x1b\x1b...(+3 chars)", Quoted.Escape("\u001b\u001b\u001b\u001b\u001b", 2));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0x41 }, @"\xffA")]
    [InlineData(new byte[] { 0xFE, 0x41 }, @"\xfeA")]
    [InlineData(new byte[] { 0x41, 0xC3 }, @"A\xc3")]                  // cut-off two-byte sequence
    [InlineData(new byte[] { 0xC3, 0xA9 }, "é")]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 }, @"\xed\xa0\x80")]     // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0xC0, 0xAF }, @"\xc0\xaf")]               // overlong '/'
    [InlineData(new byte[] { 0x1B, 0x5B, 0x32, 0x4A }, @"\x1b[2J")]
    [InlineData(new byte[] { 0xC2, 0x9B }, @"\x9b")]                   // C1 CSI, encoded
    [InlineData(new byte[] { 0x61, 0x00, 0x62, 0x00 }, @"a\x00b\x00")] // UTF-16LE read as bytes
    public void Escape_Bytes_DecodesUtf8AndShowsEveryOtherByte(byte[] input, string expected) =>
        Assert.Equal(expected, Quoted.Escape(input));

    [Fact]
    public void Escape_Bytes_InvalidBytesAreDistinguishable()
    {
        // Two ids that a lossy decoder would both turn into U+FFFD 'A' stay apart.
        Assert.NotEqual(Quoted.Escape([0xFF, 0x41]), Quoted.Escape([0xFE, 0x41]));
        Assert.NotEqual(Quoted.Escape("\uFFFDA"), Quoted.Escape([0xFF, 0x41]));
    }

    [Fact]
    public void Escape_Bytes_CutsAtByteCountWithoutSplittingACharacter()
    {
        var bytes = Encoding.UTF8.GetBytes("aé" + new string('b', 50));   // é is 2 bytes
        Assert.Equal("a...(+52 bytes)", Quoted.Escape(bytes, 2));
        Assert.Equal("aé...(+50 bytes)", Quoted.Escape(bytes, 3));
    }

    [Fact]
    public void Quote_WrapsInDoubleQuotesAndEscapesThem()
    {
        Assert.Equal("\"say \\\"hi\\\"\\x1b\"", Quoted.Quote("say \"hi\"\u001b"));
        Assert.Equal("\"\\xff\"", Quoted.Quote(new byte[] { 0xFF }));
    }

    [Fact]
    public void Escape_NeverLeavesAControlCharacterInItsOutput()
    {
        var all = new StringBuilder();
        for (int c = 0; c < 0x3000; c++) if (!char.IsSurrogate((char)c)) all.Append((char)c);
        var escaped = Quoted.Escape(all.ToString(), int.MaxValue);
        Assert.DoesNotContain(escaped, c => char.IsControl(c) || char.IsSurrogate(c)
            || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format
                or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator);
        var bytes = new byte[256];
        for (int b = 0; b < 256; b++) bytes[b] = (byte)b;
        Assert.DoesNotContain(Quoted.Escape(bytes, int.MaxValue), c => char.IsControl(c));
    }
}
