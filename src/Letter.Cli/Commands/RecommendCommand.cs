using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Letter.Data;
using Letter.Generation;
using Letter.Models.Tiger;
using Letter.Models.LcRec;

using Letter.Common;
using Letter.Kinds;

namespace Letter.Cli.Commands;

/// <summary><c>letter recommend RUN (--user ID | --history ID,ID,...) [--k 10] [--beam B] [--exclude-seen] [--json]</c>.</summary>
public static class RecommendCommand
{
    public static Command Build()
    {
        var run = new Argument<string>("RUN") { Description = "A run folder of 'letter run' / 'letter demo' (its model folder is used, whatever the kind) or of 'letter train'" };
        var user = new Option<string?>("--user") { Description = "User id from the dataset (the original id when the dataset has id maps, as 'letter import' writes): recommend what comes after all of their items (reads the run's dataset)" };
        var history = new Option<string?>("--history") { Description = "Comma-separated item ids, oldest first (original ids when the dataset has id maps)" };
        var k = new Option<int>("--k") { Description = "Number of items", DefaultValueFactory = _ => 10 };
        var beam = new Option<int?>("--beam") { Description = "Beams to search (default: the run's, as in evaluation, and never fewer than --k)" };
        var excludeSeen = new Option<bool>("--exclude-seen") { Description = "Never recommend an item of the history (applied inside the beam search, so --k items still come back)" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table" };
        var cmd = new Command("recommend", "Top-K next items for a user or a history, with titles, identifiers and scores (beam log-probabilities)");
        cmd.Arguments.Add(run);
        var device = DeviceOption.Create();
        foreach (var o in new Option[] { user, history, k, beam, excludeSeen, json, device }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            if ((parse.GetValue(user) is null) == (parse.GetValue(history) is null))
                throw new UsageException("give exactly one of --user ID or --history ID,ID,...");
            int top = parse.GetValue(k);
            if (top is < 1 or > 100) throw new UsageException("--k must be between 1 and 100");
            if (parse.GetValue(beam) is < 1 or > 1000) throw new UsageException("--beam must be between 1 and 1000");
            var computeDevice = DeviceOption.Read(parse, device);
            var (folder, record, kind) = OpenedRun.Inspect(parse.GetValue(run)!);
            string datasetDirectory = record.DatasetDirectory;
            int itemCount = record.ItemCount;
            var titles = folder.ReadTitles();
            // the dataset is needed only for --user and for original ids (letter import's id maps); a copied run has neither
            LetterDataset? data = parse.GetValue(user) is not null || Directory.Exists(datasetDirectory)
                ? LetterDataset.Load(datasetDirectory, loadIndex: false) : null;
            var ids = data is null ? null : IdMaps.TryRead(data.Folder);
            if (ids is not null && (ids.ItemCount != data!.ItemCount || ids.UserCount != data.Users.Count))
                throw new IO.LetterDataException(IdMaps.ItemFile(data.Folder), null,
                    $"the id maps ({ids.UserCount} users, {ids.ItemCount} items) do not match the dataset ({data.Users.Count} users, {data.ItemCount} items)");
            if (data is not null) titles ??= Enumerable.Range(0, data.ItemCount).Select(data.Title).ToArray();
            string Item(int dense) => ids?.OriginalItem(dense) ?? dense.ToString(CultureInfo.InvariantCulture);
            string Title(int item) => titles is not null && item < titles.Length ? titles[item] : $"item {item}";
            int[] items = parse.GetValue(user) is { } id
                ? (data!.Users.FirstOrDefault(u => u.UserId == (ids is null ? id : ids.DenseUser(id)?.ToString(CultureInfo.InvariantCulture)))
                   ?? throw new UsageException($"user '{id}' is not in {(ids is null ? data.Folder.InterFile : IdMaps.UserFile(data.Folder))}")).Items
                : ids is null ? ParseHistory(parse.GetValue(history)!, itemCount) : ParseOriginalHistory(parse.GetValue(history)!, ids);

            LetterRuntime.Apply(new RuntimeOptions(kind.ReadConfig(folder).Threads, Device: computeDevice));
            using var opened = OpenedRun.Open(folder.Directory, device: computeDevice);
            var recommender = opened.Recommender;
            var options = new RecommendOptions(parse.GetValue(beam), ExcludeHistory: parse.GetValue(excludeSeen));
            var ranked = recommender.Recommend(items, top, options)
                .SelectMany(r => r.Items.Select(item => (Item: item, r.Identifier, r.Score)))
                .Take(top).ToList();
            var o = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                var arr = new JsonArray(ranked.Select((r, i) => (JsonNode)new JsonObject
                {
                    ["rank"] = i + 1,
                    ["item"] = ids is null ? r.Item : Item(r.Item),
                    ["title"] = Title(r.Item),
                    ["identifier"] = new JsonArray(r.Identifier.Select(t => (JsonNode)t).ToArray()),
                    ["score"] = Math.Round(r.Score, 5),
                }).ToArray());
                o.WriteLine(new JsonObject { ["history"] = new JsonArray(items.Select(i => ids is null ? (JsonNode)i : Item(i)).ToArray()), ["recommendations"] = arr }
                    .ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }
            var inv = CultureInfo.InvariantCulture;
            o.WriteLine($"history ({items.Length} items, last {Math.Min(items.Length, 3)} shown):");
            foreach (var item in items.TakeLast(3)) o.WriteLine($"  {Item(item),6}  {Shorten(Title(item))}");
            o.WriteLine();
            o.WriteLine($"{"rank",4}  {"item",6}  {"score",8}  {"identifier",-28}  title");
            for (int i = 0; i < ranked.Count; i++)
                o.WriteLine(string.Create(inv, $"{i + 1,4}  {Item(ranked[i].Item),6}  {ranked[i].Score,8:0.000}  {string.Concat(ranked[i].Identifier),-28}  {Shorten(Title(ranked[i].Item))}"));
            return 0;
        });
        return cmd;
    }

    /// <summary>A pipeline run folder's model folder (of whatever kind), or the path itself (a model folder, a metrics or ranks file).</summary>
    public static string ModelDirectoryOrPath(string path)
    {
        if (!Directory.Exists(path)) return path;
        try { return OpenedRun.ModelDirectory(path); }
        catch (IO.LetterDataException) { return path; }
    }

    private static int[] ParseHistory(string text, int itemCount)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--history is empty");
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < itemCount
            ? id
            : throw new UsageException($"--history: '{p}' is not an item id in [0, {itemCount})")).ToArray();
    }

    private static int[] ParseOriginalHistory(string text, IdMaps ids)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--history is empty");
        return parts.Select(p => ids.DenseItem(p) ?? throw new UsageException($"--history: '{p}' is not an item id of this dataset (its item2id)")).ToArray();
    }

    private static string Shorten(string s) => s.Length <= 70 ? s : s[..67] + "...";
}
