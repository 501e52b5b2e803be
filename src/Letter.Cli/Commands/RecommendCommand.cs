using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Kinds;
using Letter.Runs;

namespace Letter.Cli.Commands;

/// <summary>
/// <c>letter recommend RUN (--user ID | --history ID,ID,...) [--k 10] [--beam B] [--exclude-seen] [--json]</c>, or for many users
/// <c>letter recommend RUN (--all-users | --users FILE) --out FILE.jsonl|FILE.parquet</c>. Ids are the dataset's own (the run's id maps).
/// </summary>
public static class RecommendCommand
{
    public static Command Build()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder of 'letter run' / 'letter demo' (its model folder is used, whatever the kind) or of 'letter train'" };
        var user = new Option<string?>("--user") { Description = "User id from the dataset (its own id, as 'letter import' maps it): recommend what comes after all of their items (reads the run's dataset)" };
        var history = new Option<string?>("--history") { Description = "Comma-separated item ids, oldest first (the dataset's own ids; the run's id maps work without the dataset)" };
        var allUsers = new Option<bool>("--all-users") { Description = "Every user of the dataset, written to --out (reads the run's dataset)" };
        var usersFile = new Option<string?>("--users") { Description = "A file of dataset user ids, one per line, written to --out (reads the run's dataset)" };
        var outFile = new Option<string?>("--out") { Description = "With --all-users or --users: FILE.jsonl or FILE.parquet, one row per recommended item (user, rank, item, dense_item, score, title)" };
        var k = new Option<int>("--k") { Description = "Number of items", DefaultValueFactory = _ => 10 };
        var beam = new Option<int?>("--beam") { Description = "Beams to search (default: the run's, as in evaluation, and never fewer than --k)" };
        var excludeSeen = new Option<bool>("--exclude-seen") { Description = "Never recommend an item of the history (applied inside the beam search, so --k items still come back); the default of --all-users and --users" };
        var includeSeen = new Option<bool>("--include-seen") { Description = "With --all-users or --users: allow the users' own items" };
        var batchUsers = new Option<int?>("--batch-users") { Description = "With --all-users or --users: histories of one length decoded together (default: the run's evaluation batch)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var cmd = new Command("recommend",
            "Top-K next items for a user or a history, with titles, identifiers and scores (beam log-probabilities); " +
            "with --all-users or --users, every chosen user's top-K to a JSON lines or Parquet file");
        cmd.Arguments.Add(run);
        var device = DeviceOption.Create();
        var lanes = new LaneOptions();
        foreach (var o in new Option[] { user, history, allUsers, usersFile, outFile, k, beam, excludeSeen, includeSeen, batchUsers, json, device }.Concat(lanes.All)) cmd.Options.Add(o);
        cmd.SetAction((parse, invocationCancel) =>
        {
            int top = parse.GetValue(k);
            if (top is < 1 or > 100) throw new UsageException("--k must be between 1 and 100");
            if (parse.GetValue(beam) is < 1 or > 1000) throw new UsageException("--beam must be between 1 and 1000");
            var computeDevice = DeviceOption.Read(parse, device);
            bool bulk = parse.GetValue(allUsers) || parse.GetValue(usersFile) is not null;
            int modes = (parse.GetValue(user) is null ? 0 : 1) + (parse.GetValue(history) is null ? 0 : 1) + (parse.GetValue(allUsers) ? 1 : 0)
                + (parse.GetValue(usersFile) is null ? 0 : 1);
            if (modes != 1) throw new UsageException("give exactly one of --user ID, --history ID,ID,..., --all-users or --users FILE");
            if (bulk)
            {
                if (parse.GetValue(json)) throw new UsageException("--json is for one user or history; --all-users and --users write --out FILE.jsonl");
                if (parse.GetValue(excludeSeen) && parse.GetValue(includeSeen)) throw new UsageException("give --exclude-seen or --include-seen, not both");
                if (parse.GetValue(batchUsers) is < 1) throw new UsageException("--batch-users must be at least 1");
                var bulkOut = parse.GetValue(outFile) ?? throw new UsageException("--all-users and --users write to --out FILE.jsonl or FILE.parquet");
                using var interrupt = Interrupt.Listen(invocationCancel);
                return Task.FromResult(RecommendBulk.Run(parse.GetValue(run)!, parse.GetValue(usersFile), bulkOut,
                    new BulkRecommendOptions(top, parse.GetValue(beam), !parse.GetValue(includeSeen), parse.GetValue(batchUsers) ?? 0),
                    computeDevice, parse.InvocationConfiguration.Output, interrupt.Token, threads => lanes.Read(parse, threads)));
            }
            if (parse.GetValue(outFile) is not null) throw new UsageException("--out goes with --all-users or --users FILE");
            if (parse.GetValue(includeSeen) || parse.GetValue(batchUsers) is not null || parse.GetValue(lanes.Lanes) is not null || parse.GetValue(lanes.LaneThreads) is not null)
                throw new UsageException("--include-seen, --batch-users, --lanes and --lane-threads go with --all-users or --users FILE");
            return Task.FromResult(One(parse.GetValue(run)!, parse.GetValue(user), parse.GetValue(history), top,
                new RecommendOptions(parse.GetValue(beam), ExcludeHistory: parse.GetValue(excludeSeen)), parse.GetValue(json), computeDevice,
                parse.InvocationConfiguration.Output));
        });
        return cmd;
    }

    /// <summary>One user's or one history's top-k, printed as a table or JSON.</summary>
    private static int One(string runPath, string? userId, string? historyText, int top, RecommendOptions options, bool json, ComputeDevice device, TextWriter o)
    {
        var (folder, record, kind) = OpenedRun.Inspect(runPath);
        // the run's own copy of the id maps, else its dataset's: a run moved away from its dataset still speaks its ids
        var ids = RunIds.Read(folder, record.DatasetDirectory, record.ItemCount);
        var titles = folder.ReadTitles();
        LetterDataset? data = null;
        int[] items;
        if (userId is not null)
        {
            data = RunDataset(record.DatasetDirectory, "--user");
            items = UserHistory(data, ids, userId);
        }
        else items = ParseHistory(historyText!, ids, record.ItemCount);
        if (titles is null && data is null && Directory.Exists(record.DatasetDirectory)) data = LetterDataset.Load(record.DatasetDirectory, loadIndex: false);
        string Title(int item) => titles is not null && item < titles.Length ? titles[item] : data is not null && item < data.ItemCount ? data.Title(item) : $"item {item}";

        LetterRuntime.Apply(new RuntimeOptions(kind.ReadConfig(folder).Threads, Device: device));
        using var opened = OpenedRun.Open(folder.Directory, device: device);
        var recommender = opened.Recommender;
        var query = recommender.Prepare(items, top, options);
        var beams = recommender.Decode([query.History], query.Beam, filters: query.Filter is null ? null : [query.Filter])[0];
        var ranked = BulkRecommender.Top(recommender, ids, query, beams);
        var identifierOf = recommender.Results(query, beams).SelectMany(r => r.Items.Select(item => (item, r.Identifier)))
            .DistinctBy(x => x.item).ToDictionary(x => x.item, x => x.Identifier);
        string[] IdentifierOf(int item) => identifierOf[item];
        if (json)
        {
            JsonNode Id(int item) => ids.HasItemMap ? ids.ItemId(item) : item;
            var arr = new JsonArray(ranked.Select(r => (JsonNode)new JsonObject
            {
                ["rank"] = r.Rank,
                ["item"] = Id(r.Item),
                ["dense_item"] = r.Item,
                ["title"] = Title(r.Item),
                ["identifier"] = new JsonArray(IdentifierOf(r.Item).Select(t => (JsonNode)t).ToArray()),
                ["score"] = Math.Round(r.Score, 5),
            }).ToArray());
            var answer = new JsonObject();
            if (userId is not null) answer["user"] = userId;
            answer["history"] = new JsonArray(items.Select(Id).ToArray());
            answer["recommendations"] = arr;
            o.WriteLine(answer.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine($"history ({items.Length} items, last {Math.Min(items.Length, 3)} shown):");
        foreach (var item in items.TakeLast(3)) o.WriteLine($"  {Quoted.Escape(ids.ItemId(item)),6}  {Shorten(Title(item))}");
        o.WriteLine();
        o.WriteLine($"{"rank",4}  {"item",6}  {"score",8}  {"identifier",-28}  title");
        foreach (var r in ranked)
            o.WriteLine(string.Create(inv, $"{r.Rank,4}  {Quoted.Escape(r.ItemId),6}  {r.Score,8:0.000}  {string.Concat(IdentifierOf(r.Item)),-28}  {Shorten(Title(r.Item))}"));
        return 0;
    }

    /// <summary>The run's dataset, which <paramref name="why"/> needs (the users' histories).</summary>
    internal static LetterDataset RunDataset(string directory, string why) =>
        Directory.Exists(directory)
            ? LetterDataset.Load(directory, loadIndex: false)
            : throw new UsageException($"{why} reads the users' histories from the run's dataset, {directory}, which is not on this machine (--history works without it)");

    /// <summary>A user's whole history by the dataset's user id.</summary>
    private static int[] UserHistory(LetterDataset data, RunIds ids, string userId)
    {
        var key = ids.DenseUser(userId);
        var found = key is null ? null : data.Users.FirstOrDefault(u => u.UserId == key);
        return found?.Items ?? throw new UsageException($"--user: {Quoted.Quote(userId)} is not a user of {data.Folder.Directory}{(ids.HasUserMap ? " (its user2id)" : "")}");
    }

    /// <summary>A pipeline run folder's model folder (of whatever kind), or the path itself (a model folder, a metrics or ranks file).</summary>
    public static string ModelDirectoryOrPath(string path)
    {
        if (!Directory.Exists(path)) return path;
        try { return OpenedRun.ModelDirectory(path); }
        catch (IO.LetterDataException) { return path; }
    }

    private static int[] ParseHistory(string text, RunIds ids, int itemCount)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--history is empty");
        return parts.Select(p => ids.Item(p) ?? throw new UsageException(ids.HasItemMap
            ? $"--history: {Quoted.Quote(p)} is not an item id of this run's dataset (its item2id)"
            : $"--history: {Quoted.Quote(p)} is not an item id in [0, {itemCount})")).ToArray();
    }

    private static string Shorten(string s) => s.Length <= 70 ? s : s[..67] + "...";
}
