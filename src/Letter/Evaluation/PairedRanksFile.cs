using System.Globalization;
using Letter.IO;

namespace Letter.Evaluation;

/// <summary>
/// Two evaluations' ranks side by side, one line per user, for looking into a comparison: the dataset's
/// ids of the user and the target (from whichever ranks file recorded them; the dense ids otherwise),
/// the dense ids, whether the target was already in the history, and both 1-based ranks ("-": not in
/// the list) under the compared protocol. Ids are escaped as in <see cref="UserRanksFile"/>.
/// </summary>
public static class PairedRanksFile
{
    public const string Header = "user_id\ttarget_id\tuser\ttarget\ttarget_in_history\trank_a\trank_b";

    public static void Write(string path, IEnumerable<(UserRank A, UserRank B)> pairs, bool itemMatch) =>
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.Write(Header + "\n");
            foreach (var (a, b) in pairs)
            {
                string user = a.DatasetUserId ?? b.DatasetUserId ?? a.UserId;
                string target = a.DatasetTargetId ?? b.DatasetTargetId ?? a.Target.ToString(CultureInfo.InvariantCulture);
                string repeat = (a.TargetInHistory ?? b.TargetInHistory) switch { true => "1", false => "0", null => "-" };
                w.Write($"{UserRanksFile.Escape(user)}\t{UserRanksFile.Escape(target)}\t{a.UserId}\t{a.Target}\t{repeat}\t"
                    + $"{Rank(itemMatch ? a.ItemRank : a.IdentifierRank)}\t{Rank(itemMatch ? b.ItemRank : b.IdentifierRank)}\n");
            }
        });

    private static string Rank(int rank) => rank < 0 ? "-" : (rank + 1).ToString(CultureInfo.InvariantCulture);
}
