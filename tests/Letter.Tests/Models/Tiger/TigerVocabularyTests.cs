using Letter.Data;
using Letter.Models.Tiger;

namespace Letter.Tests.Models.Tiger;

public class TigerVocabularyTests
{
    [Fact]
    public void Code_tokens_follow_pad_and_eos_and_text_tokens_come_after_every_code()
    {
        var index = new ItemIndex([[0, 1, 3], [2, 0, 1]]);
        var codesOnly = TigerVocabulary.For(index);
        var withText = TigerVocabulary.For(index, textTokens: 5);

        Assert.Equal(2 + 3 + 2 + 4, codesOnly.Size); // codebook sizes [3, 2, 4]: one more than the largest code per level
        Assert.Equal(codesOnly.Size, codesOnly.CodeEnd);
        Assert.Equal(codesOnly.Size + 5, withText.Size);
        Assert.Equal(codesOnly.CodeEnd, withText.CodeEnd);

        // level 2, code 3 sits after pad, eos, level 0 (3 codes) and level 1 (2 codes)
        Assert.Equal(2 + 3 + 2 + 3, withText.Token(2, 3));
        Assert.Equal((2, 3), withText.Decode(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => withText.Decode(withText.CodeEnd));
        Assert.Equal(codesOnly.EncodeHistory(index, [1, 0]), withText.EncodeHistory(index, [1, 0]));
        Assert.Equal(new[] { 2 + 2, 2 + 3 + 0, 2 + 3 + 2 + 1, TigerVocabulary.Eos }, withText.EncodeTarget(index, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TigerVocabulary.For(index, textTokens: -1));
    }
}
