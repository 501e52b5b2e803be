using System.CommandLine;
using System.Globalization;
using Letter.Evaluation;

namespace Letter.Cli.Commands;

/// <summary><c>letter compare A B</c>: a paired, per-user comparison of two evaluations of the same users.</summary>
public static class CompareCommand
{
    public static Command Build()
    {
        var a = new Argument<string>("A") { Description = "Run folder (its own evaluation), metrics-*.json or ranks-*.tsv written by 'letter eval'" };
        var b = new Argument<string>("B") { Description = "The same for the other evaluation; differences are B - A" };
        var split = new Option<string>("--split") { Description = "test or valid, for run folders", DefaultValueFactory = _ => "test" };
        var itemMatch = new Option<bool>("--item-match") { Description = "Compare item-match ranks instead of identifier-match ranks" };
        var byTarget = new Option<bool>("--by-target")
        {
            Description = "Also compare within two groups: users whose target is already in their history (a copy would hit it) and the others",
        };
        var pairs = new Option<string?>("--pairs")
        {
            Description = "Also write both ranks of every user to this TSV file, with the dataset's user and target ids (user_id, target_id, user, target, target_in_history, rank_a, rank_b)",
        };
        var cmd = new Command("compare",
            "Compare two evaluations user by user: both means, B - A with its paired standard error and 95% interval, and a p-value " +
            "(Recall: exact McNemar test on the users only one of them hits; NDCG: paired normal test). Both must cover the same users.");
        cmd.Arguments.Add(a);
        cmd.Arguments.Add(b);
        cmd.Options.Add(split);
        cmd.Options.Add(itemMatch);
        cmd.Options.Add(byTarget);
        cmd.Options.Add(pairs);
        cmd.SetAction(parse =>
        {
            var s = parse.GetValue(split)!;
            if (s is not ("test" or "valid")) throw new UsageException($"--split must be test or valid (got {s})");
            var splitChoice = s == "test" ? Data.DataSplit.Test : Data.DataSplit.Valid;
            string Ranks(string path)
            {
                var resolved = RecommendCommand.ModelDirectoryOrPath(path);
                try { return UserRanksFile.Resolve(resolved, splitChoice); }
                catch (IO.LetterDataException) when (Directory.Exists(resolved))
                {
                    throw new UsageException($"{resolved} has no per-user ranks of its {s} evaluation: run 'letter eval {path}{(s == "test" ? "" : " --split " + s)}' first " +
                        "(evaluations made before Letter wrote per-user ranks have only metrics files)");
                }
            }
            var fileA = Ranks(parse.GetValue(a)!);
            var fileB = Ranks(parse.GetValue(b)!);
            var (ranksA, ranksB, item) = (UserRanksFile.Read(fileA), UserRanksFile.Read(fileB), parse.GetValue(itemMatch));
            // every comparison is made before anything is written, so a refusal is its message alone
            var (all, repeat, fresh) = parse.GetValue(byTarget)
                ? PairedComparison.CompareByTarget(ranksA, ranksB, fileA, fileB, item)
                : (PairedComparison.Compare(ranksA, ranksB, fileA, fileB, item), null, null);
            var o = parse.InvocationConfiguration.Output;
            if (parse.GetValue(pairs) is { } pairsFile)
            {
                IO.OutputPath.RequireFile(pairsFile, "the --pairs file");
                PairedRanksFile.Write(pairsFile, PairedComparison.Pair(ranksA, ranksB, fileA, fileB), item);
            }
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"A: {fileA}"));
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"B: {fileB}"));
            Write(o, all, "");
            if (repeat is not null) Write(o, repeat, ", target already in the history");
            if (fresh is not null) Write(o, fresh, ", target new to the user");
            if (parse.GetValue(pairs) is { } written) o.WriteLine($"each user's ranks with the dataset's ids: {written}");
            return 0;
        });
        return cmd;
    }

    private static void Write(TextWriter o, PairedComparison c, string group)
    {
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv, $"{c.Users:N0} users{group}, {(c.ItemMatch ? "item" : "identifier")} match, paired by user"));
        if (c.Users == 0) return;
        o.WriteLine($"{"metric",-10} {"A",8} {"B",8} {"B - A",9} {"95% interval",21} {"p",7} {"A only",7} {"B only",7}");
        foreach (var m in c.Metrics)
        {
            string Signed(double v) => v.ToString("+0.0000;-0.0000;0.0000", inv);
            var interval = $"[{Signed(m.Low95)}, {Signed(m.High95)}]";
            o.WriteLine(string.Create(inv, $"{m.Name,-10} {m.MeanA,8:0.0000} {m.MeanB,8:0.0000} {Signed(m.Difference),9} {interval,21} {P(m.PValue),7} {m.OnlyA?.ToString(inv) ?? "",7} {m.OnlyB?.ToString(inv) ?? "",7}"));
        }
    }

    private static string P(double p) => p < 0.0001 ? "<0.0001" : p.ToString("0.0000", CultureInfo.InvariantCulture);
}
