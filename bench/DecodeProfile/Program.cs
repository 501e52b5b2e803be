// Where the time of one TIGER decoding goes, phase by phase (encoder, each decoder step and its parts, masks and
// trie, top-k, results): a lone request and batches of 8 and 64 requests of mixed history lengths (every request a
// known user with their seen items excluded, beam 20, k 10, decoded as the service does: padded), at 1 and 2 torch
// threads, fp32 (bf16 with --bf16).
//
//   dotnet build bench/DecodeProfile -c Release && \
//   flock /tmp/letter-torch.lock dotnet bench/DecodeProfile/bin/Release/net10.0/linux-x64/DecodeProfile.dll RUN [--repeats 30] [--bf16]
//   ... RUN --agreement 1000     # bf16 against fp32 on 1,000 users: same top-10 (order, set), largest score gap, users/s
//
// Prints markdown tables: ms per decoding of each phase, the median over the repeats (batches of 64: a third of them).
using System.Diagnostics;
using System.Text.Json;
using Letter.Generation;
using Letter.Service;

var run = args.Length > 0 ? args[0] : throw new ArgumentException("usage: DecodeProfile RUN [--repeats N] [--bf16] [--agreement N]");
int repeats = args.SkipWhile(a => a != "--repeats").Skip(1).Select(int.Parse).FirstOrDefault(30);
bool bf16 = args.Contains("--bf16");
int agreementUsers = args.SkipWhile(a => a != "--agreement").Skip(1).Select(int.Parse).FirstOrDefault(0);
ProcessSettings.Prepare(new ServeOptions { RunDirectory = run, Threads = 2, Bf16 = bf16 || agreementUsers > 0 });

var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json"))).RootElement;
var dataset = config.GetProperty("dataset_directory").GetString()!;
var inter = JsonSerializer.Deserialize<Dictionary<string, int[]>>(File.ReadAllText(Directory.GetFiles(dataset, "*.inter.json")[0]))!;
var users = inter.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).ToList();
var random = new Random(7);
var picked = Enumerable.Range(0, Math.Max(64 * repeats + 200, agreementUsers)).Select(_ => users[random.Next(users.Count)]).ToList();

if (agreementUsers > 0)
{
    var sample = picked.Take(agreementUsers).ToList();
    (List<int[]> Items, List<float[]> Scores, double Seconds) Run(bool useBf16)
    {
        var m = ServedModel.Load(run, useBf16);
        var r = m.Recommender;
        r.Decode([sample[0]], 20); // warm
        long start = Stopwatch.GetTimestamp();
        var queries = sample.Select(h => r.Prepare(h, 10, new RecommendOptions(20, ExcludeHistory: true))).ToList();
        var beams = r.Decode(queries.Select(q => q.History).ToList(), 20, batchUsers: 32, filters: queries.Select(q => q.Filter).ToList());
        var items = queries.Select((q, i) => r.Results(q, beams[i]).SelectMany(x => x.Items).Take(10).ToArray()).ToList();
        var scores = beams.Select(b => b.Take(10).Select(x => x.Score).ToArray()).ToList();
        return (items, scores, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
    TorchSharp.torch.set_num_threads(2);
    var fp32 = Run(false);
    var half = Run(true);
    int same = 0, sameSet = 0;
    double worst = 0;
    for (int i = 0; i < sample.Count; i++)
    {
        if (fp32.Items[i].SequenceEqual(half.Items[i])) same++;
        if (fp32.Items[i].Order().SequenceEqual(half.Items[i].Order())) sameSet++;
        for (int b = 0; b < Math.Min(fp32.Scores[i].Length, half.Scores[i].Length); b++) worst = Math.Max(worst, Math.Abs(fp32.Scores[i][b] - half.Scores[i][b]));
    }
    Console.WriteLine("| users (batches of 32, padded, seen items excluded) | same top-10 (order) | same top-10 (set) | largest score difference | fp32 users/s | bf16 users/s |");
    Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
    Console.WriteLine($"| {sample.Count} | {100.0 * same / sample.Count:F1}% | {100.0 * sameSet / sample.Count:F1}% | {worst:F4} | {sample.Count / fp32.Seconds:F0} | {sample.Count / half.Seconds:F0} |");
    return;
}

var model = ServedModel.Load(run, bf16);
var recommender = model.Recommender;
Console.WriteLine($"run {Path.GetFileName(Path.GetFullPath(run))}: {model.ItemCount} items, {recommender.Catalog.IdentifierCount} identifiers, " +
                  $"precision {recommender.Precision}, max history {recommender.Generator.MaxHistory}");

foreach (int threads in new[] { 1, 2 })
{
    TorchSharp.torch.set_num_threads(threads);
    foreach (int batch in new[] { 1, 8, 64 })
    {
        int n = batch == 64 ? Math.Max(3, repeats / 3) : repeats;
        var profiles = new List<DecodeProfile>();
        var totals = new List<double>();
        var prepare = new List<double>();
        var results = new List<double>();
        for (int r = -3; r < n; r++) // three warm-up rounds
        {
            var histories = picked.Skip((r + 3) * batch % (picked.Count - batch)).Take(batch).ToList();
            long t0 = Stopwatch.GetTimestamp();
            var queries = histories.Select(h => recommender.Prepare(h, 10, new RecommendOptions(20, ExcludeHistory: true))).ToList();
            long t1 = Stopwatch.GetTimestamp();
            var profile = new DecodeProfile();
            var beams = recommender.Decode(queries.Select(q => q.History).ToList(), 20, batchUsers: 64, filters: queries.Select(q => q.Filter).ToList(), profile: profile);
            long t2 = Stopwatch.GetTimestamp();
            int items = 0;
            for (int i = 0; i < queries.Count; i++)
                items += recommender.Results(queries[i], beams[i]).SelectMany(x => x.Items.Select(item => model.Titles[item])).Take(10).Count();
            long t3 = Stopwatch.GetTimestamp();
            if (r < 0) continue;
            profiles.Add(profile);
            prepare.Add(Ms(t1 - t0));
            totals.Add(Ms(t3 - t0));
            results.Add(Ms(t3 - t2));
        }
        Console.WriteLine();
        Console.WriteLine($"### {(batch == 1 ? "a lone request" : $"a batch of {batch} requests (mixed lengths, padded)")}, {threads} torch thread{(threads > 1 ? "s" : "")}, median of {n}");
        Console.WriteLine();
        Console.WriteLine("| phase | ms per decoding | share | calls |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        double total = Median(totals);
        Row("query checks (Prepare)", Median(prepare), total, 1);
        foreach (var (phase, _, count) in profiles[0].Phases)
            Row(phase, Median(profiles.Select(p => p.Phases.FirstOrDefault(x => x.Phase == phase).Seconds * 1000).ToList()), total, count);
        Row("results (items, titles)", Median(results), total, 1);
        Console.WriteLine($"| **total** | **{total:F2}** | {(batch > 1 ? $"{total / batch:F2} ms per request" : "")} | |");
        Console.WriteLine("(`decoder: ...` phases are parts of the `step N: decoder` phases and `reorder` part of `top-k, reorder, trie`, summed over the steps)");
    }
}

static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
static double Median(List<double> xs) { var s = xs.OrderBy(x => x).ToList(); return s[s.Count / 2]; }
static void Row(string phase, double ms, double total, long count) => Console.WriteLine($"| {phase} | {ms:F2} | {100 * ms / total:F0}% | {count} |");
