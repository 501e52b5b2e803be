using System.CommandLine;
using Letter.Data;
using Letter.Evaluation;

using Letter.Cli.Progress;

using Letter.Common;
using Letter.Kinds;
using Letter.Runs;

namespace Letter.Cli.Commands;

/// <summary><c>letter eval RUN [--split test]</c>: full-ranking evaluation of a trained run of any kind.</summary>
public static class EvalCommand
{
    public static Command Build()
    {
        var run = new Argument<string>("RUN") { Description = "Run folder written by 'letter train'" };
        var split = new Option<string>("--split") { Description = "test or valid", DefaultValueFactory = _ => "test" };
        var maxUsers = new Option<int?>("--max-users") { Description = "Evaluate a fixed seeded sample of this many users (quick checks)" };
        var beam = new Option<int?>("--beam") { Description = "Beam size (default: the run's, 20)" };
        var checkpoint = new Option<string>("--checkpoint") { Description = "best or last", DefaultValueFactory = _ => "best" };
        var bf16 = new Option<bool>("--bf16") { Description = "Decode in bfloat16 (faster; weights converted, scores in fp32)" };
        var batchUsers = new Option<int?>("--batch-users") { Description = "Users decoded together (default: the run's, 64)" };
        var decodeTemperature = new Option<double?>("--decode-temperature")
        {
            Description = "Score beams by log-softmax of logits / T (default 1: raw logits, as the original LETTER decodes; the run's tau scores by the distribution its loss trained)",
        };
        var cmd = new Command("eval", "Evaluate a TIGER or LC-Rec run: full ranking, leave-one-out, Recall@1/5/10 and NDCG@5/10, written to RUN/metrics.json (other checkpoints, samples, beams or bf16 to files that name them)");
        cmd.Arguments.Add(run);
        var device = DeviceOption.Create();
        var lanes = new LaneOptions();
        foreach (var o in new Option[] { split, maxUsers, beam, checkpoint, bf16, batchUsers, decodeTemperature, device }.Concat(lanes.All)) cmd.Options.Add(o);
        cmd.SetAction((parse, invocationCancel) =>
        {
            using var interrupt = Interrupt.Listen(invocationCancel);
            var cancel = interrupt.Token;
            var s = parse.GetValue(split)!;
            if (s is not ("test" or "valid")) throw new UsageException($"--split must be test or valid (got {s})");
            var c = parse.GetValue(checkpoint)!;
            if (c is not ("best" or "last")) throw new UsageException($"--checkpoint must be best or last (got {c})");
            if (parse.GetValue(beam) is < 1) throw new UsageException("--beam must be at least 1");
            if (parse.GetValue(batchUsers) is < 1) throw new UsageException("--batch-users must be at least 1");
            if (parse.GetValue(decodeTemperature) is double t && !(t > 0 && !double.IsInfinity(t)))
                throw new UsageException($"--decode-temperature must be a positive number (got {t})");
            var options = new RunEvaluationOptions(s == "test" ? DataSplit.Test : DataSplit.Valid, parse.GetValue(maxUsers), parse.GetValue(beam),
                c == "best" ? CheckpointChoice.Best : CheckpointChoice.Last, HostCpu.Bf16(parse.GetValue(bf16), "eval", parse.InvocationConfiguration.Error), parse.GetValue(batchUsers),
                DecodeTemperature: parse.GetValue(decodeTemperature), Device: DeviceOption.Read(parse, device));
            var runDir = parse.GetValue(run)!;
            // the run's threads; a folder that holds no run is refused by the evaluation itself
            var runtime = new RuntimeOptions(Fp32Products: !options.Bf16, Device: options.Device);
            if (Directory.Exists(runDir) && TryInspect(runDir) is { } found) runtime = runtime with { Threads = found.Kind.ReadConfig(found.Folder).Threads };
            LetterRuntime.Apply(runtime);
            var (laneCount, laneThreads) = lanes.Read(parse, runtime.Threads);
            options = options with { Lanes = laneCount, LaneThreads = laneThreads };
            var e = RunEvaluation.Evaluate(runDir, options, ConsoleProgress.Instance, cancel);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"{e.Split.Name()}: {e.Users} users, beam {e.Beam}, {e.Precision.Name()}, {(laneCount > 1 ? $"{laneCount} lanes x {laneThreads} threads" : $"{runtime.Threads} threads")}"
                + (e.DecodeTemperature != 1.0 ? $", decoding temperature {e.DecodeTemperature}" : "") + $", {e.Seconds:F1} s ({e.UsersPerSecond:F0} users/s)");
            output.WriteLine("identifier match: " + string.Join("  ", e.IdentifierMatch.Select(kv => $"{kv.Key} {kv.Value:F4}")));
            if (e.Loss is double loss)
                output.WriteLine($"teacher-forced loss {loss:F4} (tau {e.LossTemperature})");
            if (e.IndexHasCollisions)
                output.WriteLine("item match:       " + string.Join("  ", e.ItemMatch.Select(kv => $"{kv.Key} {kv.Value:F4}")));
            if (e.Repeats is { } r)
                output.WriteLine($"targets already in the history: {r.Repeat.Count} users ({r.RepeatShare:P1}), recall@10 {r.Repeat.Recall(10):F4}; "
                    + $"the other {r.New.Count}: recall@10 {r.New.Recall(10):F4}");
            if (e.Survival is { } sv)
                output.WriteLine($"target still among the beams after level 1..{sv.Levels}: " + string.Join(" ", sv.All.Select(x => x.ToString("F4")))
                    + "; new targets: " + string.Join(" ", sv.New.Select(x => x.ToString("F4"))));
            foreach (var (name, m) in e.Baselines ?? new Dictionary<string, RankingMetrics>())
                output.WriteLine($"baseline {name} (no model): recall@10 {m.Recall(10):F4}  ndcg@10 {m.Ndcg(10):F4}");
            output.WriteLine($"written to {e.MetricsFile} (per-user ranks: {Path.GetFileName(e.RanksFile)}, for 'letter compare')");
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static (Letter.Runs.RunFolder Folder, Letter.Runs.RunRecord Record, Letter.Training.RecommenderKind Kind)? TryInspect(string path)
    {
        try { return OpenedRun.Inspect(path); }
        catch (IO.LetterDataException) { return null; }
    }
}
