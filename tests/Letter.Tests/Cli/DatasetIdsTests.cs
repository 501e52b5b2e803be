using System.Text;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Pipeline;
using Letter.Runs;
using Letter.Tests.Kinds;
using Parquet;
using Parquet.Schema;

namespace Letter.Tests.Cli;

/// <summary>
/// A dataset imported from a CSV with string ids (<c>letter import</c>), a small run trained on it
/// (<c>letter train</c>, the test kind for speed) and evaluated once, shared by the tests below.
/// </summary>
public sealed class ImportedRun : IDisposable
{
    public const int Users = 30, Items = 12, Length = 6;
    private readonly TempDir _tmp = new();

    public ImportedRun()
    {
        var rng = new SplitMix64(11);
        var csv = new StringBuilder("user_id,item_id,timestamp\n");
        var users = Enumerable.Range(0, Users).Select(UserName).ToArray();
        for (int u = 0; u < Users; u++)
        {
            int start = rng.Next(Items);
            // the planted rule: each next item follows the previous one
            for (int i = 0; i < Length; i++) csv.Append($"\"{users[u]}\",{ItemName((start + i) % Items)},{u * 100 + i}\n");
        }
        System.IO.File.WriteAllText(_tmp.File("ratings.csv"), csv.ToString());
        System.IO.File.WriteAllText(_tmp.File("items.csv"), "item_id,title\n" + string.Concat(Enumerable.Range(0, Items).Select(i => $"{ItemName(i)},Thing number {i}\n")));
        Data = _tmp.File("shop");
        var imported = CliRunner.Run("import", "csv", _tmp.File("ratings.csv"), "--item-file", _tmp.File("items.csv"), "--text-cols", "title",
            "--k-core", "0", "--out", Data, "--quiet");
        Assert.True(imported.ExitCode == 0, imported.Stderr);
        var dataset = LetterDataset.Load(Data, loadIndex: false);
        Assert.Equal(Items, dataset.ItemCount);
        // distinct identifiers of 3 levels x 4 codes, one per item
        var codes = Enumerable.Range(0, Items).Select(i => new[] { i / 4, i % 4, (i * 3) % 4 }).ToArray();
        new ItemIndex(codes).Save(Path.Combine(Data, "shop.index.json"));
        Maps = IdMaps.TryRead(dataset.Folder)!;

        Run = _tmp.File("run");
        var trained = CliRunner.Run("train", Data, "--recommender", StubBagKind.KindName, "--bag-dim", "12", "--epochs", "3", "--seed", "3", "--out", Run);
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var eval = CliRunner.Run("eval", Run);
        Assert.True(eval.ExitCode == 0, eval.Stderr);
    }

    /// <summary>User ids with what a CSV may hold: a space, a comma, a non-ASCII letter.</summary>
    public static string UserName(int u) => u switch { 0 => "ann lee", 1 => "zoë", 2 => "o'brien, pat", _ => $"user-{u:00}" };

    public static string ItemName(int i) => $"sku-{i * 7 + 100}";

    public string Data { get; }
    public string Run { get; }
    public IdMaps Maps { get; }
    public string File(string name) => _tmp.File(name);

    public void Dispose() => _tmp.Dispose();
}

/// <summary>
/// Ids end to end in the CLI: eval's ranks, compare, the run report and recommend speak the dataset's
/// own ids; a run folder copied away from its dataset still maps them; bulk recommendations for every
/// user equal the one-by-one answers.
/// </summary>
public class DatasetIdsTests(ImportedRun run) : IClassFixture<ImportedRun>
{
    private static List<UserRank> Ranks(string runDirectory) => UserRanksFile.Read(UserRanksFile.Resolve(runDirectory));

    [Fact]
    public void Eval_ranks_name_every_user_and_target_by_the_dataset_ids()
    {
        var ranks = Ranks(run.Run);
        Assert.Equal(ImportedRun.Users, ranks.Count);
        Assert.Equal(Enumerable.Range(0, ImportedRun.Users).Select(ImportedRun.UserName).Order(StringComparer.Ordinal),
            ranks.Select(r => r.DatasetUserId!).Order(StringComparer.Ordinal));
        foreach (var r in ranks)
        {
            // the dense columns stay, and the id columns are what the import's maps say of them
            Assert.Equal(run.Maps.OriginalUser(int.Parse(r.UserId)), r.DatasetUserId);
            Assert.Equal(run.Maps.OriginalItem(r.Target), r.DatasetTargetId);
            Assert.StartsWith("sku-", r.DatasetTargetId);
        }
        var header = File.ReadLines(UserRanksFile.Resolve(run.Run)).First();
        Assert.Equal("user\ttarget\tidentifier_rank\titem_rank\ttarget_in_history\tuser_id\ttarget_id", header);
    }

    [Fact]
    public void Compare_pairs_a_run_with_ids_and_a_ranks_file_written_before_them_and_writes_the_pairs_by_id()
    {
        var file = UserRanksFile.Resolve(run.Run);
        // the same evaluation in the layout of files written before ids were recorded
        var old = run.File("ranks-old.tsv");
        File.WriteAllLines(old, File.ReadLines(file).Select(l => string.Join('\t', l.Split('\t').Take(5))));
        var pairs = run.File("pairs.tsv");
        var compared = CliRunner.Run("compare", old, run.Run, "--pairs", pairs);
        Assert.True(compared.ExitCode == 0, compared.Stderr);
        Assert.Contains($"{ImportedRun.Users} users, identifier match, paired by user", compared.Stdout);
        var lines = File.ReadAllLines(pairs);
        Assert.Equal(PairedRanksFile.Header, lines[0]);
        var ranks = Ranks(run.Run).ToDictionary(r => r.DatasetUserId!);
        Assert.Equal(ImportedRun.Users, lines.Length - 1);
        foreach (var line in lines.Skip(1))
        {
            var f = line.Split('\t');
            var r = ranks[f[0]];
            Assert.Equal([r.DatasetTargetId!, r.UserId, r.Target.ToString(), r.TargetInHistory == true ? "1" : "0"], f[1..5]);
            Assert.Equal(f[5], f[6]); // the same evaluation on both sides
        }

        // the same dense users under other dataset ids are another dataset
        var other = run.File("ranks-other.tsv");
        File.WriteAllLines(other, File.ReadLines(file).Select((l, i) => i == 1 ? l.Replace("\tsku-", "\tSKU-") : l));
        var refused = CliRunner.Run("compare", run.Run, other);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("here and", refused.Stderr);
        Assert.Contains("not the same dataset", refused.Stderr);
        Assert.Single(refused.ErrorLines);
    }

    [Fact]
    public void The_run_report_shows_test_users_by_the_dataset_ids()
    {
        // a pipeline folder holding the run as its model stage
        var pipeline = run.File("pipeline-report");
        CopyFolder(run.Run, Path.Combine(pipeline, StubBagKind.KindName));
        var data = LetterDataset.Load(run.Data, loadIndex: false);
        var metrics = new Dictionary<string, double> { ["recall@10"] = 0.5 };
        var doc = RunReport.Build(pipeline, data, new RunConfig { Data = run.Data },
            [new ModelResult("LETTER-stub", StubBagKind.KindName, metrics, ImportedRun.Users)]);
        var md = doc.RenderMarkdown("assets");
        Assert.Contains("## Test users of LETTER-stub (a sample)", md);
        var ranks = Ranks(run.Run);
        var shown = ranks.Where(r => r.IdentifierRank is >= 0 and < 10).Take(5).Concat(ranks.Where(r => r.IdentifierRank is < 0 or >= 10).Take(5)).ToList();
        Assert.NotEmpty(shown);
        foreach (var r in shown)
            Assert.Contains($"| {r.DatasetUserId} | {r.DatasetTargetId} | {data.Title(r.Target)} |", md);
    }

    [Fact]
    public void Recommend_takes_and_prints_the_dataset_ids_by_history_and_by_user()
    {
        string h1 = ImportedRun.ItemName(3), h2 = ImportedRun.ItemName(4);
        var byHistory = CliRunner.Run("recommend", run.Run, "--history", $"{h1},{h2}", "--k", "4", "--exclude-seen", "--json");
        Assert.True(byHistory.ExitCode == 0, byHistory.Stderr);
        using (var json = JsonDocument.Parse(byHistory.Stdout))
        {
            Assert.Equal([h1, h2], json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetString()));
            var recs = json.RootElement.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(4, recs.Count);
            foreach (var r in recs)
            {
                int dense = r.GetProperty("dense_item").GetInt32();
                Assert.Equal(run.Maps.OriginalItem(dense), r.GetProperty("item").GetString());
                Assert.Equal($"Thing number {(int.Parse(run.Maps.OriginalItem(dense)[4..]) - 100) / 7}", r.GetProperty("title").GetString());
            }
            Assert.DoesNotContain(recs, r => r.GetProperty("item").GetString() is var id && (id == h1 || id == h2));
        }
        var unknown = CliRunner.Run("recommend", run.Run, "--history", "sku-100,3");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("letter: --history: \"3\" is not an item id of this run's dataset (its item2id)", unknown.ErrorLines.Single());

        var byUser = CliRunner.Run("recommend", run.Run, "--user", "zoë", "--k", "3");
        Assert.True(byUser.ExitCode == 0, byUser.Stderr);
        var data = LetterDataset.Load(run.Data, loadIndex: false);
        var zoe = data.Users.Single(u => u.UserId == run.Maps.DenseUser("zoë")!.Value.ToString());
        Assert.Contains($"  {run.Maps.OriginalItem(zoe.Items[^1])}  Thing", byUser.Stdout);
        var nobody = CliRunner.Run("recommend", run.Run, "--user", "nobody");
        Assert.Equal(2, nobody.ExitCode);
        Assert.Contains("\"nobody\" is not a user of", nobody.Stderr);
    }

    [Fact]
    public void A_run_copied_away_from_its_dataset_still_maps_ids()
    {
        var moved = run.File("moved-run");
        CopyFolder(run.Run, moved);
        string expected = CliRunner.Run("recommend", run.Run, "--history", $"{ImportedRun.ItemName(0)},{ImportedRun.ItemName(1)}", "--k", "3", "--json").Stdout;
        // the dataset moved away too: the run record's path leads nowhere
        var data = run.File("shop");
        var away = run.File("shop-away");
        Directory.Move(data, away);
        try
        {
            var answer = CliRunner.Run("recommend", moved, "--history", $"{ImportedRun.ItemName(0)},{ImportedRun.ItemName(1)}", "--k", "3", "--json");
            Assert.True(answer.ExitCode == 0, answer.Stderr);
            Assert.Equal(expected, answer.Stdout);
            using var json = JsonDocument.Parse(answer.Stdout);
            Assert.All(json.RootElement.GetProperty("recommendations").EnumerateArray(), r => Assert.StartsWith("sku-", r.GetProperty("item").GetString()));
            var ids = RunIds.Read(new RunFolder(moved), data, ImportedRun.Items);
            Assert.True(ids.HasItemMap && ids.HasUserMap);
            Assert.Equal("zoë", ids.UserId(run.Maps.DenseUser("zoë")!.Value.ToString()));
            var byUser = CliRunner.Run("recommend", moved, "--user", "zoë");
            Assert.Equal(2, byUser.ExitCode);
            Assert.Contains("--user reads the users' histories from the run's dataset", byUser.ErrorLines.Single());
        }
        finally
        {
            Directory.Move(away, data);
        }
    }

    [Fact]
    public async Task Bulk_recommendations_as_json_lines_and_parquet_equal_the_one_by_one_answers()
    {
        var jsonl = run.File("all.jsonl");
        var parquet = run.File("all.parquet");
        var a = CliRunner.Run("recommend", run.Run, "--all-users", "--k", "4", "--batch-users", "7", "--out", jsonl);
        Assert.True(a.ExitCode == 0, a.Stderr);
        Assert.Matches($@"wrote .*all\.jsonl: {ImportedRun.Users} users, {ImportedRun.Users * 4} rows \(k 4, beam \d+, seen items excluded, (\d+ lanes x \d+|\d+) threads\) in [\d.]+ s, [\d.]+ users/s", a.Stdout);
        var p = CliRunner.Run("recommend", run.Run, "--all-users", "--k", "4", "--out", parquet);
        Assert.True(p.ExitCode == 0, p.Stderr);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(jsonl)!, ".all.*.tmp"));

        var fromJson = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).Select(e => new Row(
            e.GetProperty("user").GetString()!, e.GetProperty("rank").GetInt32(), e.GetProperty("item").GetString()!,
            e.GetProperty("dense_item").GetInt32(), e.GetProperty("score").GetSingle(), e.GetProperty("title").GetString())).ToList();
        var fromParquet = await ReadParquet(parquet);
        Assert.Equal(ImportedRun.Users * 4, fromJson.Count);
        Assert.Equal(fromJson.Count, fromParquet.Count);
        for (int i = 0; i < fromJson.Count; i++)
        {
            Assert.Equal(fromJson[i] with { Score = 0 }, fromParquet[i] with { Score = 0 });
            Assert.Equal(fromJson[i].Score, fromParquet[i].Score, 1e-6f);
        }

        // every user, asked one by one (seen items excluded, as bulk does by default)
        var data = LetterDataset.Load(run.Data, loadIndex: false);
        Assert.Equal(data.Users.Select(u => run.Maps.OriginalUser(int.Parse(u.UserId))), fromJson.Select(r => r.User).Distinct());
        foreach (var user in fromJson.GroupBy(r => r.User))
        {
            var one = CliRunner.Run("recommend", run.Run, "--user", user.Key, "--k", "4", "--exclude-seen", "--json");
            Assert.True(one.ExitCode == 0, one.Stderr);
            using var json = JsonDocument.Parse(one.Stdout);
            var recs = json.RootElement.GetProperty("recommendations").EnumerateArray().ToList();
            Assert.Equal(recs.Select(r => r.GetProperty("item").GetString()), user.Select(r => r.Item));
            Assert.Equal(Enumerable.Range(1, 4), user.Select(r => r.Rank));
            for (int i = 0; i < recs.Count; i++)
            {
                Assert.Equal(recs[i].GetProperty("score").GetDouble(), user.ElementAt(i).Score, 1e-5);
                Assert.Equal(recs[i].GetProperty("title").GetString(), user.ElementAt(i).Title);
            }
            var history = json.RootElement.GetProperty("history").EnumerateArray().Select(h => h.GetString()).ToHashSet();
            Assert.DoesNotContain(user, r => history.Contains(r.Item));
        }
    }

    [Fact]
    public void A_users_file_chooses_users_in_its_order_and_bad_lines_are_refused_with_file_and_line()
    {
        var users = run.File("users.txt");
        File.WriteAllText(users, "user-07\n\nzoë\r\nann lee\n");
        var output = run.File("some.jsonl");
        var r = CliRunner.Run("recommend", run.Run, "--users", users, "--k", "2", "--out", output);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["user-07", "user-07", "zoë", "zoë", "ann lee", "ann lee"],
            File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("user").GetString()));

        void Refused(byte[] content, string expected)
        {
            File.WriteAllBytes(users, content);
            var before = File.ReadAllBytes(output);
            var bad = CliRunner.Run("recommend", run.Run, "--users", users, "--k", "2", "--out", output);
            Assert.Equal(2, bad.ExitCode);
            Assert.Equal($"letter: {users}: {expected}", bad.ErrorLines.Single());
            Assert.Equal(before, File.ReadAllBytes(output)); // the earlier output stays as it was
        }
        Refused("zoë\nnobody\n"u8.ToArray(), $"line 2: \"nobody\" is not a user of {run.Data} (its user2id)");
        Refused("zoë\nuser-03\nzoë\n"u8.ToArray(), "line 3: user \"zoë\" is already on line 1");
        Refused([.. "user-03\n"u8, 0x61, 0xFF, 0x62, (byte)'\n'], "line 2: \"a\\xffb\" is not valid UTF-8");
        Refused("\n\n"u8.ToArray(), "names no users (one dataset user id per line)");
    }

    [Fact]
    public void Bulk_mode_refuses_bad_combinations_with_exit_2()
    {
        (string[] Args, string Error)[] cases =
        [
            (["--all-users"], "letter: --all-users and --users write to --out FILE.jsonl or FILE.parquet"),
            (["--all-users", "--out", run.File("x.csv")], $"letter: --out \"{run.File("x.csv")}\": name a .jsonl or .parquet file (the extension chooses the format)"),
            (["--all-users", "--user", "zoë", "--out", run.File("x.jsonl")], "letter: give exactly one of --user ID, --history ID,ID,..., --all-users or --users FILE"),
            (["--user", "zoë", "--out", run.File("x.jsonl")], "letter: --out goes with --all-users or --users FILE"),
            (["--all-users", "--json", "--out", run.File("x.jsonl")], "letter: --json is for one user or history; --all-users and --users write --out FILE.jsonl"),
        ];
        foreach (var (args, error) in cases)
        {
            var r = CliRunner.Run(["recommend", run.Run, .. args]);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal(error, r.ErrorLines.Single());
        }
        Assert.False(File.Exists(run.File("x.jsonl")));
    }

    private sealed record Row(string User, int Rank, string Item, int DenseItem, float Score, string? Title);

    private static async Task<List<Row>> ReadParquet(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name);
        Assert.Equal(["user", "rank", "item", "dense_item", "score", "title"], fields.Keys);
        var rows = new List<Row>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int n = (int)group.RowCount;
            var user = new string?[n];
            var item = new string?[n];
            var title = new string?[n];
            var rank = new int[n];
            var dense = new int[n];
            var score = new float[n];
            await group.ReadAsync(fields["user"], user.AsMemory());
            await group.ReadAsync(fields["item"], item.AsMemory());
            await group.ReadAsync(fields["title"], title.AsMemory());
            await group.ReadAsync(fields["rank"], rank.AsMemory());
            await group.ReadAsync(fields["dense_item"], dense.AsMemory());
            await group.ReadAsync(fields["score"], score.AsMemory());
            for (int i = 0; i < n; i++) rows.Add(new Row(user[i]!, rank[i], item[i]!, dense[i], score[i], title[i]));
        }
        return rows;
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
