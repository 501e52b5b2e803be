using System.CommandLine;
using Letter.Data;

namespace Letter.Cli.Commands;

/// <summary>
/// <c>letter demo</c>: the main job on the built-in dataset. It grows with the pipeline; today it
/// generates the dataset and reports its statistics.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder for the demo's data and runs", DefaultValueFactory = _ => "runs/demo" };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => SynthOptions.Default.Seed };
        var cmd = new Command("demo", "Generate the built-in dataset and run the pipeline on it, ending with a summary");
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var root = parse.GetValue(output)!;
            var dataDir = Path.Combine(root, "data");
            var folder = SyntheticDataset.Write(dataDir, SynthOptions.Default with { Seed = parse.GetValue(seed) });
            var stats = DatasetStatistics.Compute(LetterDataset.Load(folder));
            o.WriteLine($"[1/1] built-in dataset written to {folder.Directory}");
            o.WriteLine();
            o.WriteLine(StatsFormatter.Table(stats));
            o.WriteLine();
            o.WriteLine("summary");
            o.WriteLine($"  dataset   {folder.Directory} ({stats.Users:N0} users, {stats.Items:N0} items, {stats.Interactions:N0} interactions)");
            o.WriteLine($"  samples   {stats.TrainSamples:N0} train / {stats.ValidSamples:N0} valid / {stats.TestSamples:N0} test");
            return 0;
        });
        return cmd;
    }
}
