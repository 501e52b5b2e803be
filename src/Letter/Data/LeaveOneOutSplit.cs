using Letter.IO;

namespace Letter.Data;

/// <summary>One next-item example: the history (oldest first, at most the history limit) and the target.</summary>
public sealed record Sample(int User, int[] History, int Target)
{
    /// <summary>The target is one of the history items (a repeat visit: copying it would be a hit).</summary>
    public bool TargetInHistory => Array.IndexOf(History, Target) >= 0;
}

/// <summary>Options of the leave-one-out split; the defaults are LETTER's.</summary>
public sealed record SplitOptions(int MaxHistory = 20, bool SkipShortUsers = false);

/// <summary>
/// Leave-one-out exactly as the original LETTER code builds it. For a user's items s[0..n-1]: test
/// target s[n-1] with history s[0..n-2]; validation target s[n-2] with history s[0..n-3]; one
/// training sample per i in 1..n-3 with target s[i] and history s[0..i-1]. Histories keep their
/// last <see cref="SplitOptions.MaxHistory"/> items.
/// </summary>
public sealed class LeaveOneOutSplit
{
    public const int MinimumItems = 3;

    private LeaveOneOutSplit(List<Sample> train, List<Sample> valid, List<Sample> test, List<string> skipped)
    {
        Train = train;
        Valid = valid;
        Test = test;
        SkippedUsers = skipped;
    }

    public IReadOnlyList<Sample> Train { get; }
    public IReadOnlyList<Sample> Valid { get; }
    public IReadOnlyList<Sample> Test { get; }

    /// <summary>Users with fewer than three items, left out under <see cref="SplitOptions.SkipShortUsers"/>.</summary>
    public IReadOnlyList<string> SkippedUsers { get; }

    public static LeaveOneOutSplit Build(IReadOnlyList<UserSequence> users, SplitOptions? options = null, string file = "interactions")
    {
        options ??= new SplitOptions();
        if (options.MaxHistory < 1) throw new ArgumentOutOfRangeException(nameof(options), "MaxHistory must be at least 1");
        var train = new List<Sample>();
        var valid = new List<Sample>(users.Count);
        var test = new List<Sample>(users.Count);
        var skipped = new List<string>();
        for (int u = 0; u < users.Count; u++)
        {
            var s = users[u].Items;
            int n = s.Length;
            if (n < MinimumItems)
            {
                if (options.SkipShortUsers)
                {
                    skipped.Add(users[u].UserId);
                    continue;
                }
                throw new LetterDataException(file, $"user \"{users[u].UserId}\"",
                    $"has {n} item{(n == 1 ? "" : "s")}; leave-one-out needs at least {MinimumItems} (skipping short users leaves such users out)");
            }
            for (int i = 1; i <= n - 3; i++)
                train.Add(new Sample(u, History(s, i, options.MaxHistory), s[i]));
            valid.Add(new Sample(u, History(s, n - 2, options.MaxHistory), s[n - 2]));
            test.Add(new Sample(u, History(s, n - 1, options.MaxHistory), s[n - 1]));
        }
        return new LeaveOneOutSplit(train, valid, test, skipped);
    }

    /// <summary>The items before position <paramref name="end"/>, keeping the last <paramref name="max"/>.</summary>
    private static int[] History(int[] s, int end, int max)
    {
        int start = Math.Max(0, end - max);
        return s[start..end];
    }

    /// <summary>How often each item is a training target or appears in a training history (training popularity).</summary>
    public static int[] TrainingPopularity(IReadOnlyList<UserSequence> users, int itemCount)
    {
        var counts = new int[itemCount];
        foreach (var u in users)
            for (int i = 0; i < u.Items.Length - 2; i++)
                counts[u.Items[i]]++;
        return counts;
    }
}
