using Letter.Data;
using Letter.IO;

namespace Letter.Tests.Data;

public class LeaveOneOutSplitTests
{
    // User "u" has items s = [10, 11, 12, 13, 14, 15] (n = 6). Worked by hand from the LETTER rules:
    //   train: i = 1..3  ->  ([10] -> 11), ([10, 11] -> 12), ([10, 11, 12] -> 13)
    //   valid: target s[4] = 14, history s[0..3] = [10, 11, 12, 13]
    //   test:  target s[5] = 15, history s[0..4] = [10, 11, 12, 13, 14]
    private static readonly UserSequence[] Users = [new("u", [10, 11, 12, 13, 14, 15]), new("v", [1, 2, 3])];

    [Fact]
    public void Build_HandWorkedUser_GivesLetterSamples()
    {
        var split = LeaveOneOutSplit.Build(Users);

        var train = split.Train.Where(s => s.User == 0).ToArray();
        Assert.Equal(3, train.Length);
        Assert.Equal([10], train[0].History);
        Assert.Equal(11, train[0].Target);
        Assert.Equal([10, 11], train[1].History);
        Assert.Equal(12, train[1].Target);
        Assert.Equal([10, 11, 12], train[2].History);
        Assert.Equal(13, train[2].Target);

        Assert.Equal([10, 11, 12, 13], split.Valid[0].History);
        Assert.Equal(14, split.Valid[0].Target);
        Assert.Equal([10, 11, 12, 13, 14], split.Test[0].History);
        Assert.Equal(15, split.Test[0].Target);
    }

    [Fact]
    public void Build_ThreeItemUser_HasNoTrainingSampleButValidAndTest()
    {
        var split = LeaveOneOutSplit.Build(Users);
        Assert.DoesNotContain(split.Train, s => s.User == 1);
        Assert.Equal(new[] { 1 }, split.Valid[1].History);
        Assert.Equal(2, split.Valid[1].Target);
        Assert.Equal(new[] { 1, 2 }, split.Test[1].History);
        Assert.Equal(3, split.Test[1].Target);
    }

    [Fact]
    public void Build_HistoryLimit_KeepsTheLastItems()
    {
        var split = LeaveOneOutSplit.Build(Users, new SplitOptions(MaxHistory: 2));
        Assert.Equal([12, 13], split.Valid[0].History);
        Assert.Equal([13, 14], split.Test[0].History);
        Assert.Equal([11, 12], split.Train[2].History);
        Assert.Equal([10], split.Train[0].History);
    }

    [Fact]
    public void Build_NoTargetOfValidationOrTestInTraining()
    {
        var split = LeaveOneOutSplit.Build(Users);
        foreach (var s in split.Train.Where(s => s.User == 0))
        {
            Assert.DoesNotContain(14, s.History);
            Assert.DoesNotContain(15, s.History);
            Assert.NotEqual(14, s.Target);
        }
    }

    [Fact]
    public void Build_UserWithTwoItems_IsAnErrorNamingTheUser()
    {
        var e = Assert.Throws<LetterDataException>(() =>
            LeaveOneOutSplit.Build([new UserSequence("42", [1, 2])], file: "x.inter.json"));
        Assert.Equal("x.inter.json: user \"42\": has 2 items; leave-one-out needs at least 3 (skipping short users leaves such users out)", e.Message);
    }

    [Fact]
    public void Build_SkipShortUsers_LeavesThemOutAndNamesThem()
    {
        var split = LeaveOneOutSplit.Build([new UserSequence("42", [1, 2]), .. Users], new SplitOptions(SkipShortUsers: true));
        Assert.Equal(["42"], split.SkippedUsers);
        Assert.Equal(2, split.Test.Count);
        Assert.Equal(1, split.Test[0].User);
    }
}
