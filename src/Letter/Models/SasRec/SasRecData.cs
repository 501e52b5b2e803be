using Letter.Data;

namespace Letter.Models.SasRec;

/// <summary>One user's model input (oldest first, at most MaxLen items) and what follows each position.</summary>
/// <param name="Targets">For training: the next item after each input position; for evaluation: one item after the last.</param>
internal sealed record UserSequenceExample(int User, int[] Input, int[] Targets);

/// <summary>
/// The leave-one-out views of the interactions for SASRec. For a user's items s[0..n-1] the training
/// prefix is s[0..n-3]: inputs s[0..n-4] with next items s[1..n-3] (no validation or test item
/// appears, neither as input nor as target). Validation: input s[0..n-3], target s[n-2].
/// Test: input s[0..n-2], target s[n-1]. Inputs keep their last MaxLen items.
/// Users with fewer than three items have no validation and test item and are left out.
/// </summary>
internal sealed class SasRecData
{
    public required List<UserSequenceExample> Train { get; init; }
    public required List<UserSequenceExample> Valid { get; init; }
    public required List<UserSequenceExample> Test { get; init; }
    public required int SkippedUsers { get; init; }

    public static SasRecData Build(IReadOnlyList<UserSequence> users, int maxLen)
    {
        var train = new List<UserSequenceExample>();
        var valid = new List<UserSequenceExample>();
        var test = new List<UserSequenceExample>();
        int skipped = 0;
        for (int u = 0; u < users.Count; u++)
        {
            var s = users[u].Items;
            int n = s.Length;
            if (n < LeaveOneOutSplit.MinimumItems)
            {
                skipped++;
                continue;
            }
            int prefix = n - 2;                      // s[0..n-3]
            if (prefix >= 2)
            {
                int start = Math.Max(0, prefix - 1 - maxLen);
                train.Add(new UserSequenceExample(u, s[start..(prefix - 1)], s[(start + 1)..prefix]));
            }
            valid.Add(new UserSequenceExample(u, Last(s, n - 2, maxLen), [s[n - 2]]));
            test.Add(new UserSequenceExample(u, Last(s, n - 1, maxLen), [s[n - 1]]));
        }
        return new SasRecData { Train = train, Valid = valid, Test = test, SkippedUsers = skipped };
    }

    private static int[] Last(int[] s, int end, int max) => s[Math.Max(0, end - max)..end];
}
