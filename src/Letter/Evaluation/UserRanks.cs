using Letter.Data;
using System.Globalization;
using Letter.IO;

namespace Letter.Evaluation;

/// <summary>
/// One user's result in an evaluation: the target and its 0-based rank under both protocols (-1: not
/// ranked), and whether the target is already in the history the model read (null: not recorded,
/// as in ranks files written before Letter recorded it).
/// </summary>
/// <param name="UserId">the user's key in the dataset's inter file (its dense id)</param>
/// <param name="Target">the target's dense item id</param>
/// <param name="DatasetUserId">the user's own id in the dataset (its user2id map; without a map, the key itself); null: not recorded</param>
/// <param name="DatasetTargetId">the target's own id in the dataset (its item2id map; without a map, the dense id's text); null: not recorded</param>
public sealed record UserRank(string UserId, int Target, int IdentifierRank, int ItemRank, bool? TargetInHistory = null,
    string? DatasetUserId = null, string? DatasetTargetId = null)
{
    /// <summary>How a message names the user: the dataset's id, with the dense key when they differ.</summary>
    public string Named => DatasetUserId is null || DatasetUserId == UserId ? Quoted.Quote(UserId) : $"{Quoted.Quote(DatasetUserId)} (dense {Quoted.Quote(UserId)})";
}

/// <summary>
/// The per-user ranks of an evaluation as a tab-separated file (one line per user, ranks 1-based,
/// "-" when the target is not in the list), so two evaluations of the same users can be compared
/// pair by pair (<see cref="PairedComparison"/>): the difference of two runs is far less noisy per
/// user than the difference of their means. The fifth column (1, 0 or "-" when unknown) lets a
/// comparison split users by whether their target is a repeat; the last two hold the dataset's own
/// ids of the user and the target (its id maps), with tab, newline, carriage return and backslash
/// escaped as \t \n \r \\. The first two stay the dense ids, which pair evaluations of one dataset
/// whatever their file's age.
/// </summary>
public static class UserRanksFile
{
    private const string Header = "user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history\tuser_id\ttarget_id";

    /// <summary>The header of files written before the dataset's ids were recorded; still read (and written when no rank has them).</summary>
    private const string HeaderWithoutIds = "user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history";

    /// <summary>The header of files written before the repeat column existed; still read.</summary>
    private const string HeaderWithoutRepeats = "user\ttarget\tidentifier_rank\titem_rank";

    /// <summary>The ranks file that goes with a metrics file: metrics-valid-bf16.json -> ranks-valid-bf16.tsv.</summary>
    /// <summary>The name of a run's own metrics file for a split: metrics.json (test) or metrics-valid.json.</summary>
    public static string RunMetricsFile(DataSplit split) => split == DataSplit.Test ? "metrics.json" : "metrics-valid.json";

    public static string For(string metricsFile)
    {
        var name = Path.GetFileNameWithoutExtension(metricsFile);
        name = name.StartsWith("metrics", StringComparison.Ordinal) ? "ranks" + name["metrics".Length..] : name + "-ranks";
        return Path.Combine(Path.GetDirectoryName(Path.GetFullPath(metricsFile))!, name + ".tsv");
    }

    /// <summary>
    /// The ranks file a path names: a ranks file itself, the ranks file of a metrics file, or for a run
    /// folder the ranks of its own evaluation of <paramref name="split"/> (ranks.tsv, ranks-valid.tsv).
    /// </summary>
    public static string Resolve(string path, DataSplit split = DataSplit.Test)
    {
        if (System.IO.Directory.Exists(path))
        {
            var file = For(Path.Combine(path, RunMetricsFile(split)));
            if (!File.Exists(file))
                throw new LetterDataException(file, null, $"is missing: evaluate the run's {split.Name()} split first " +
                    "(evaluations made before Letter wrote per-user ranks have only metrics files)");
            return file;
        }
        return path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? For(path) : path;
    }

    /// <summary>Writes the ranks; with the dataset's ids when every rank has them, else in the layout without them.</summary>
    public static void Write(string path, IReadOnlyCollection<UserRank> ranks)
    {
        bool ids = ranks.Count > 0 && ranks.All(r => r.DatasetUserId is not null && r.DatasetTargetId is not null);
        AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.Write((ids ? Header : HeaderWithoutIds) + "\n");
            foreach (var r in ranks)
            {
                w.Write($"{r.UserId}\t{r.Target}\t{Rank(r.IdentifierRank)}\t{Rank(r.ItemRank)}\t{Flag(r.TargetInHistory)}");
                w.Write(ids ? $"\t{Escape(r.DatasetUserId!)}\t{Escape(r.DatasetTargetId!)}\n" : "\n");
            }
        });
    }

    public static List<UserRank> Read(string path)
    {
        if (!File.Exists(path)) throw new LetterDataException(path, null, "is missing");
        var ranks = new List<UserRank>();
        int lineNumber = 0, fields = 7;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (lineNumber == 1)
            {
                if (line == HeaderWithoutRepeats) fields = 4;
                else if (line == HeaderWithoutIds) fields = 5;
                else if (line != Header) throw new LetterDataException(path, "line 1", $"is not a ranks header (expected \"{Header.Replace("\t", "\\t")}\")");
                continue;
            }
            if (line.Length == 0) continue;
            var f = line.Split('\t');
            if (f.Length != fields)
                throw new LetterDataException(path, $"line {lineNumber}", $"has {f.Length} fields; expected {fields} ({string.Join(", ", Columns.Take(fields))})");
            if (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out var target))
                throw new LetterDataException(path, $"line {lineNumber}", $"target {Quoted.Quote(f[1])} is not an item number");
            ranks.Add(new UserRank(f[0], target, ParseRank(path, lineNumber, f[2]), ParseRank(path, lineNumber, f[3]),
                fields >= 5 ? ParseFlag(path, lineNumber, f[4]) : null,
                fields == 7 ? Unescape(path, lineNumber, "user_id", f[5]) : null, fields == 7 ? Unescape(path, lineNumber, "target_id", f[6]) : null));
        }
        if (lineNumber == 0) throw new LetterDataException(path, null, "is empty");
        return ranks;
    }

    private static readonly string[] Columns = Header.Split('\t');

    /// <summary>An id as one TSV field: tab, newline, carriage return and backslash as \t \n \r \\.</summary>
    public static string Escape(string id) =>
        id.AsSpan().IndexOfAny("\t\n\r\\") < 0 ? id : id.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");

    private static string Unescape(string path, int line, string column, string field)
    {
        if (!field.Contains('\\')) return field;
        var b = new System.Text.StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] != '\\') { b.Append(field[i]); continue; }
            b.Append(++i < field.Length ? field[i] switch
            {
                't' => '\t',
                'n' => '\n',
                'r' => '\r',
                '\\' => '\\',
                _ => throw new LetterDataException(path, $"line {line}", $"{column} {Quoted.Quote(field)} has an unknown escape \\{field[i]}"),
            } : throw new LetterDataException(path, $"line {line}", $"{column} {Quoted.Quote(field)} ends with a lone backslash"));
        }
        return b.ToString();
    }

    private static string Rank(int rank) => rank < 0 ? "-" : (rank + 1).ToString(CultureInfo.InvariantCulture);

    private static string Flag(bool? flag) => flag switch { true => "1", false => "0", null => "-" };

    private static bool? ParseFlag(string path, int line, string field) => field switch
    {
        "1" => true,
        "0" => false,
        "-" => null,
        _ => throw new LetterDataException(path, $"line {line}", $"target_in_history \"{field}\" is not 1, 0 or \"-\""),
    };

    private static int ParseRank(string path, int line, string field)
    {
        if (field == "-") return -1;
        if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var rank) && rank >= 1) return rank - 1;
        throw new LetterDataException(path, $"line {line}", $"rank \"{field}\" is neither a 1-based rank nor \"-\"");
    }
}
