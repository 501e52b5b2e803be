using System.CommandLine;
using Letter.Data;
using Letter.Pipeline;

using Letter.Cli.Progress;

using Letter.Common;

namespace Letter.Cli.Commands;

/// <summary>
/// <c>letter demo</c>: the built-in dataset through the whole pipeline with settings sized for 2 cores,
/// ending with LETTER-TIGER vs TIGER on the plain RQ-VAE vs SASRec on the same data and split.
/// </summary>
public static class DemoCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--out") { Description = "Folder for the demo's data and run", DefaultValueFactory = _ => "runs/demo" };
        var seed = new Option<int>("--seed") { Description = "Seed of the data and of every stage", DefaultValueFactory = _ => SynthOptions.Default.Seed };
        var cmd = new Command("demo",
            "Generate the built-in dataset and run the whole pipeline on it (text embeddings, SASRec, LETTER and plain RQ-VAE " +
            "tokenizers, TIGER on each), then print LETTER-TIGER vs TIGER vs SASRec and where the report is");
        cmd.Options.Add(output);
        cmd.Options.Add(seed);
        cmd.SetAction(parse =>
        {
            var o = parse.InvocationConfiguration.Output;
            var root = parse.GetValue(output)!;
            var dataDir = Path.Combine(root, "data");
            var synth = SynthOptions.Default with { Seed = parse.GetValue(seed) };
            var folder = SyntheticDataset.Write(dataDir, synth);
            o.WriteLine($"built-in dataset: {synth.Users:N0} users, {synth.Items:N0} items in {folder.Directory}");
            using var cancel = Interrupt.Listen();
            var summary = new RunPipeline(RunConfig.Demo(dataDir, Path.Combine(root, "run"), synth.Seed), o, ConsoleProgress.Instance, LetterRuntime.Apply).Run(cancel.Token);
            SummaryTable.Write(o, summary);
            return 0;
        });
        return cmd;
    }
}
