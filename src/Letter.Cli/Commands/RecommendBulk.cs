using System.Diagnostics;
using System.Globalization;
using System.Text;
using Letter.Cli.Progress;
using Letter.Common;
using Letter.Data;
using Letter.IO;
using Letter.Kinds;
using Letter.Runs;

namespace Letter.Cli.Commands;

/// <summary>
/// <c>letter recommend RUN (--all-users | --users FILE) --out FILE.jsonl|FILE.parquet</c>: every chosen user's
/// top-k through <see cref="BulkRecommender"/>, written as one file, with the users per second at the end.
/// </summary>
public static class RecommendBulk
{
    private static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);

    /// <param name="usersFile">the file of dataset user ids, or null for every user</param>
    /// <param name="options">BatchUsers 0: the run's evaluation batch</param>
    /// <param name="lanes">the lanes and threads per lane for the run's torch threads (default: one decoder)</param>
    public static int Run(string runPath, string? usersFile, string outPath, BulkRecommendOptions options, ComputeDevice device, TextWriter output,
        CancellationToken cancel, Func<int, (int Lanes, int LaneThreads)>? lanes = null)
    {
        var format = RecommendationsFile.FormatOf(outPath)
            ?? throw new UsageException($"--out {Quoted.Quote(outPath)}: name a .jsonl or .parquet file (the extension chooses the format)");
        OutputPath.RequireFile(outPath, "the --out file");
        var (folder, record, kind) = OpenedRun.Inspect(runPath);
        var ids = RunIds.Read(folder, record.DatasetDirectory, record.ItemCount);
        var data = RecommendCommand.RunDataset(record.DatasetDirectory, usersFile is null ? "--all-users" : "--users");
        var users = usersFile is null ? data.Users : ReadUsers(usersFile, data, ids);
        var config = kind.ReadConfig(folder);
        if (options.BatchUsers == 0) options = options with { BatchUsers = config.EvalBatchUsers };
        if (lanes?.Invoke(config.Threads) is var (laneCount, laneThreads)) options = options with { Lanes = laneCount, LaneThreads = laneThreads };
        var titles = folder.ReadTitles();
        string? Title(int item) => titles is not null && item < titles.Length ? titles[item] : data.Items?[item].Title;

        LetterRuntime.Apply(new RuntimeOptions(config.Threads, Device: device));
        using var opened = OpenedRun.Open(folder.Directory, device: device);
        var clock = Stopwatch.StartNew();
        var (written, rows) = RecommendationsFile.Write(outPath, format,
            BulkRecommender.Recommend(opened.Recommender, ids, users, options, ConsoleProgress.Instance, cancel), Title);
        double seconds = clock.Elapsed.TotalSeconds;
        // the beam every user's query searched (the library's one rule: asked or the run's, never fewer than k)
        int beam = opened.Recommender.Prepare(users[0].Items, options.K, new Generation.RecommendOptions(options.Beam)).Beam;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {outPath}: {written:N0} users, {rows:N0} rows (k {options.K}, beam {beam}, " +
            $"{(options.ExcludeSeen ? "seen items excluded" : "seen items allowed")}, {(options.Lanes > 1 ? $"{options.Lanes} lanes x {options.LaneThreads} threads" : $"{config.Threads} threads")}) in {seconds:F1} s, {(seconds > 0 ? written / seconds : 0):F1} users/s"));
        return 0;
    }

    /// <summary>
    /// The users a file names, one dataset user id per line, in its order (blank lines skipped): strict
    /// UTF-8, every id a user of the dataset, none twice; a bad line is refused with its number.
    /// </summary>
    public static List<UserSequence> ReadUsers(string file, LetterDataset data, RunIds ids)
    {
        var bytes = InputFile.ReadAllBytes(file);
        var byKey = data.Users.ToDictionary(u => u.UserId, StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        var users = new List<UserSequence>();
        int start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0, line = 0;
        while (start < bytes.Length)
        {
            line++;
            int end = bytes.AsSpan(start).IndexOf((byte)'\n');
            var raw = bytes.AsSpan(start, end < 0 ? bytes.Length - start : end);
            start += raw.Length + 1;
            if (raw.EndsWith("\r"u8)) raw = raw[..^1];
            if (raw.IsEmpty) continue;
            string id;
            try { id = StrictUtf8.GetString(raw); }
            catch (DecoderFallbackException) { throw new LetterDataException(file, $"line {line}", $"{Quoted.Quote(raw)} is not valid UTF-8"); }
            if (firstLine.TryGetValue(id, out var first))
                throw new LetterDataException(file, $"line {line}", $"user {Quoted.Quote(id)} is already on line {first}");
            firstLine[id] = line;
            var key = ids.DenseUser(id);
            if (key is null || !byKey.TryGetValue(key, out var user))
                throw new LetterDataException(file, $"line {line}",
                    $"{Quoted.Quote(id)} is not a user of {data.Folder.Directory}{(ids.HasUserMap ? " (its user2id)" : "")}");
            users.Add(user);
        }
        if (users.Count == 0) throw new LetterDataException(file, null, "names no users (one dataset user id per line)");
        return users;
    }
}
