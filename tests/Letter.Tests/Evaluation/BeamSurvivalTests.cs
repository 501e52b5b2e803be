using Letter.Evaluation;

namespace Letter.Tests.Evaluation;

public class BeamSurvivalTests
{
    [Fact]
    public void Shares_per_level_match_a_hand_count_and_a_drop_is_final()
    {
        var s = new BeamSurvival(3);
        s.Add([true, true, true, true], targetInHistory: true);    // kept to the end (eos step ignored)
        s.Add([true, false, false, false], targetInHistory: false);
        s.Add([true, true, false, false], targetInHistory: false);
        s.Add([false, false, false, false], targetInHistory: false);
        s.Add([true, false, true, true], targetInHistory: true);   // a prefix cannot come back: counted as lost at level 2
        Assert.Equal([4 / 5.0, 2 / 5.0, 1 / 5.0], s.All);
        Assert.Equal([1.0, 0.5, 0.5], s.Repeat);
        Assert.Equal([2 / 3.0, 1 / 3.0, 0.0], s.New);
        Assert.Equal(5, s.Users);
        Assert.Throws<ArgumentException>(() => s.Add([true, true], false));
    }
}
