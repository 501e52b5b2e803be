using System.CommandLine;
using Letter.Data;

namespace Letter.Cli.Commands;

/// <summary><c>letter data stats</c> and <c>letter data synth</c>.</summary>
public static class DataCommand
{
    public static Command Build()
    {
        var data = new Command("data", "Inspect a dataset folder or generate the built-in synthetic dataset");
        data.Subcommands.Add(BuildStats());
        data.Subcommands.Add(BuildSynth());
        return data;
    }

    private static Command BuildStats()
    {
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout (NAME.inter.json, optional NAME.item.json, NAME.index.json)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var maxHistory = new Option<int>("--max-history") { Description = "History length kept per sample (for the sample counts)", DefaultValueFactory = _ => 20 };
        var skipShort = new Option<bool>("--skip-short-users") { Description = "Leave out users with fewer than 3 items (counted and reported) instead of failing" };
        var cmd = new Command("stats", "Users, items, interactions, sequence lengths, split sizes, and identifier statistics of the index");
        cmd.Arguments.Add(dir);
        cmd.Options.Add(json);
        cmd.Options.Add(maxHistory);
        cmd.Options.Add(skipShort);
        cmd.SetAction(parse =>
        {
            var dataset = LetterDataset.Load(parse.GetValue(dir)!);
            if (parse.GetValue(maxHistory) < 1) throw new UsageException("--max-history must be at least 1");
            var stats = DatasetStatistics.Compute(dataset, new SplitOptions(parse.GetValue(maxHistory), parse.GetValue(skipShort)));
            if (stats.ShortUsers > 0)
                Console.Error.WriteLine($"letter: warning: left out {stats.ShortUsers} users with fewer than 3 items");
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine(parse.GetValue(json) ? StatsFormatter.Json(stats) : StatsFormatter.Table(stats));
            return 0;
        });
        return cmd;
    }

    private static Command BuildSynth()
    {
        var output = new Option<string>("--out") { Description = "Folder to write (created if missing)", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed; the same seed gives the same bytes", DefaultValueFactory = _ => SynthOptions.Default.Seed };
        var users = new Option<int>("--users") { Description = "Number of users", DefaultValueFactory = _ => SynthOptions.Default.Users };
        var items = new Option<int>("--items") { Description = "Number of items", DefaultValueFactory = _ => SynthOptions.Default.Items };
        var name = new Option<string>("--name") { Description = "Dataset name (file prefix)", DefaultValueFactory = _ => SynthOptions.Default.Name };
        var cmd = new Command("synth", "Write the built-in synthetic dataset (item text from a category hierarchy, user sequences with semantic and hidden collaborative patterns)");
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.Options.Add(users);
        cmd.Options.Add(items);
        cmd.Options.Add(name);
        cmd.SetAction(parse =>
        {
            var options = SynthOptions.Default with
            {
                Seed = parse.GetValue(seed),
                Users = parse.GetValue(users),
                Items = parse.GetValue(items),
                Name = parse.GetValue(name)!,
            };
            options.Validate();
            var folder = SyntheticDataset.Write(parse.GetValue(output)!, options);
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {options.Users} users and {options.Items} items to {folder.Directory} ({folder.Name}.inter.json, {folder.Name}.item.json)");
            return 0;
        });
        return cmd;
    }
}
