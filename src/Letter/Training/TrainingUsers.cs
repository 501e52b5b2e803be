using Letter.Common;
using Letter.Data;

namespace Letter.Training;

/// <summary>The users a run trains and validates on: all of the dataset's, or a fixed seeded sample.</summary>
public static class TrainingUsers
{
    public static IReadOnlyList<UserSequence> Select(IReadOnlyList<UserSequence> users, int? maxUsers, int seed)
    {
        if (maxUsers is null || maxUsers.Value <= 0 || maxUsers.Value >= users.Count) return users;
        var order = Enumerable.Range(0, users.Count).ToList();
        new SplitMix64((ulong)seed ^ 0xC0FFEEUL).Shuffle(order);
        return order.Take(maxUsers.Value).Order().Select(i => users[i]).ToList();
    }
}
