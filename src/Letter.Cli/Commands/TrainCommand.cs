using System.CommandLine;
using Letter.Cli.Progress;
using Letter.Common;
using Letter.Data;
using Letter.Kinds;
using Letter.Training;

namespace Letter.Cli.Commands;

/// <summary>
/// <c>letter train DIR --out RUN [--recommender KIND]</c>: trains a recommender of any registered kind on a
/// dataset folder and its item identifiers. The shared schedule flags apply to every kind (given ones
/// override the kind's defaults); a kind's own flags are refused for the others.
/// </summary>
public static class TrainCommand
{
    public static Command Build(KindRegistry? registry = null)
    {
        var kinds = registry ?? KindRegistry.Default;
        string Defaults(Func<TrainingSchedule, object> value) => "default: " + string.Join(", ", kinds.All.Select(k => $"{k.Name} {value(k.DefaultConfig)}"));
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout (NAME.inter.json)" };
        var index = new Option<string?>("--index") { Description = "Item identifiers (LETTER index.json); default: the dataset's NAME.index.json" };
        var output = new Option<string>("--out") { Description = "Run folder to write (config.json, checkpoints/, training-curve.json)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (its config.json wins)" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from the weights of another run of the same kind on the same index (a run folder: its chosen best checkpoint; or a checkpoint file in one); optimizer, warm-up, cosine and epochs start afresh, e.g. to train a finished run longer (kinds that support it: " + string.Join(", ", kinds.All.Where(k => k.SupportsInitFrom).Select(k => k.Name)) + ")" };
        var epochs = new Option<int?>("--epochs") { Description = $"Epochs (the cosine schedule spans them all; {Defaults(c => c.Epochs)})" };
        var seed = new Option<int?>("--seed") { Description = $"Random seed (initialisation, batch order, dropout, user samples; {Defaults(c => c.Seed)})" };
        var temperature = new Option<double?>("--temperature") { Description = $"Ranking-guided loss temperature tau (1 = plain cross-entropy; {Defaults(c => c.Temperature)})" };
        var batch = new Option<int?>("--batch-size") { Description = $"Training batch size ({Defaults(c => c.BatchSize)})" };
        var accumulate = new Option<int?>("--grad-accum") { Description = $"Batches per optimizer step (gradient accumulation); the paper's effective TIGER batch 1,024 is --batch-size 256 --grad-accum 4 ({Defaults(c => c.GradientAccumulation)})" };
        var lr = new Option<double?>("--lr") { Description = $"Peak learning rate (AdamW; {Defaults(c => c.LearningRate)})" };
        var beam = new Option<int?>("--beam") { Description = $"Beam size for validation and evaluation ({Defaults(c => c.Beam)})" };
        var maxUsers = new Option<int?>("--max-users") { Description = "Train and validate on a fixed seeded sample of this many users (quick checks)" };
        var validUsers = new Option<int?>("--valid-users") { Description = $"Validation users sampled for the per-epoch check (0 = all); at the end of a run selected by NDCG@10, the sample's best epoch and the last are compared on all of them ({Defaults(c => c.ValidationUsers)})" };
        var patience = new Option<int?>("--patience") { Description = $"Stop after this many epochs without a better validation score (see --select-by; {Defaults(c => c.Patience)})" };
        var selectBy = new Option<string?>("--select-by") { Description = "What the best checkpoint and early stopping go by: ndcg (NDCG@10 of decoded beams, the reported metric; default) or loss (the teacher-forced validation loss, as the original LETTER-TIGER's Trainer); both are recorded every epoch" };
        selectBy.AcceptOnlyFromAmong("ndcg", "loss");
        var budget = new Option<double?>("--time-budget") { Description = "Training minutes not to exceed: no epoch starts that, judged by the last one, would end later (0 = none); the final choice on all validation users comes after it" };
        var threads = new Option<int?>("--threads") { Description = $"Torch threads ({Defaults(c => c.Threads)})" };
        var benchmark = new Option<string?>("--benchmark") { Description = "Instead of training, time the kind's training step and beam search. tiger: 'step:HISTORY_ITEMS,...' and/or 'beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]' (e.g. step:20,7 beam:256:7 beam:256:7:128:bf16), 'trie' (building the prefix trie); lc-rec: 'step:BATCH:HISTORY_ITEMS', 'beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]'" };
        var device = DeviceOption.Create();
        var recommender = new Option<string>("--recommender") { Description = "The recommender kind: " + string.Join("; ", kinds.All.Select(k => $"{k.Name}: {k.Description}")), DefaultValueFactory = _ => KindRegistry.DefaultKind };
        recommender.AcceptOnlyFromAmong([.. kinds.Names]);
        // every kind's own options; each is refused for the kinds that do not read it
        var kindOptions = kinds.All.SelectMany(k => k.Options.Select(o => (Kind: k, Option: o))).GroupBy(x => x.Option.Name)
            .Select(g => (Readers: g.Select(x => x.Kind.Name).ToList(), Spec: g.First().Option,
                Option: g.First().Option.IsFlag ? (Option)new Option<bool>("--" + g.Key) { Description = g.First().Option.Description }
                    : new Option<string?>("--" + g.Key) { Description = g.First().Option.Description }))
            .ToList();
        foreach (var o in kindOptions)
            if (o.Spec.Values is { Count: > 0 } values && o.Option is Option<string?> text) text.AcceptOnlyFromAmong([.. values]);
        var cmd = new Command("train", "Train a generative recommender (" + string.Join(", ", kinds.Names) + ") on a dataset and its item identifiers");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { index, output, resume, initFrom, epochs, seed, temperature, batch, accumulate, lr, beam, maxUsers, validUsers, patience, selectBy, budget, threads, benchmark, recommender, device })
            cmd.Options.Add(o);
        foreach (var o in kindOptions) cmd.Options.Add(o.Option);
        cmd.SetAction((parse, invocationCancel) =>
        {
            using var interrupt = Interrupt.Listen(invocationCancel);
            var cancel = interrupt.Token;
            var kind = kinds.Find(parse.GetValue(recommender)!, "--recommender");
            var computeDevice = DeviceOption.Read(parse, device);
            // the kind's own options that were given; another kind's are refused, not dropped
            var given = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var o in kindOptions)
            {
                if (parse.GetResult(o.Option) is not { Implicit: false }) continue;
                if (!o.Readers.Contains(kind.Name))
                    throw new UsageException($"--{o.Spec.Name} is an option of --recommender {string.Join("/", o.Readers)}, not of {kind.Name}");
                if (o.Option is Option<bool> flag) { if (parse.GetValue(flag)) given[o.Spec.Name] = "true"; }
                else given[o.Spec.Name] = parse.GetValue((Option<string?>)o.Option)!;
            }
            if (given.ContainsKey("bf16") && !HostCpu.Bf16(true, "train", parse.InvocationConfiguration.Error)) given.Remove("bf16");
            if (parse.GetValue(initFrom) is not null && !kind.SupportsInitFrom)
                throw new UsageException($"--init-from is not supported by {kind.Name} runs (they start from " + (kind.Options.Any(o => o.Name == "base") ? "their base model" : "fresh weights") + ")");
            var dataset = LetterDataset.Load(parse.GetValue(dir)!, loadIndex: false);
            var indexFile = parse.GetValue(index) ?? dataset.Folder.IndexFile;
            if (!File.Exists(indexFile)) throw new UsageException($"no index: {indexFile} does not exist (pass --index)");
            var itemIndex = ItemIndexReader.Read(indexFile);
            var d = kind.DefaultConfig;
            T Given<T>(Option<T?> option, T fallback) where T : struct => parse.GetValue(option) ?? fallback;
            var shared = d with
            {
                Epochs = Given(epochs, d.Epochs),
                Seed = Given(seed, d.Seed),
                Temperature = Given(temperature, d.Temperature),
                BatchSize = Given(batch, d.BatchSize),
                GradientAccumulation = Given(accumulate, d.GradientAccumulation),
                LearningRate = Given(lr, d.LearningRate),
                Beam = Given(beam, d.Beam),
                ValidationUsers = Given(validUsers, d.ValidationUsers),
                Patience = Given(patience, d.Patience),
                SelectBy = parse.GetValue(selectBy) switch { "loss" => SelectionMetric.Loss, "ndcg" => SelectionMetric.Ndcg, _ => d.SelectBy },
                TimeBudgetMinutes = Given(budget, d.TimeBudgetMinutes),
                Threads = Given(threads, d.Threads),
            };
            TrainingSchedule config;
            try { config = kind.Configure(shared, given); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var output2 = parse.InvocationConfiguration.Output;
            if (parse.GetValue(benchmark) is { } spec)
            {
                LetterRuntime.Apply(new RuntimeOptions(config.Threads, Fp32Products: !kind.Bf16Products(config)));
                try { kind.Benchmark(spec, itemIndex, config, given, output2, LetterRuntime.Apply); }
                catch (ArgumentException e) { throw new UsageException(e.Message); }
                return Task.FromResult(0);
            }
            var runFolder = kind.Folder(parse.GetValue(output)!);
            // a resumed run's config wins, so do its threads and precision
            var runtime = parse.GetValue(resume) && runFolder.Exists ? kind.ReadConfig(runFolder) : config;
            LetterRuntime.Apply(new RuntimeOptions(runtime.Threads, Fp32Products: !kind.Bf16Products(runtime), Device: computeDevice));
            try
            {
                var result = kind.Train(new KindTrainRequest
                {
                    Data = dataset,
                    Index = itemIndex,
                    Config = config,
                    RunDirectory = parse.GetValue(output)!,
                    Options = given,
                    InitFrom = parse.GetValue(initFrom),
                    Train = new TrainOptions
                    {
                        Resume = parse.GetValue(resume), MaxUsers = parse.GetValue(maxUsers), IndexFile = indexFile, Device = computeDevice,
                        Log = Console.Error.WriteLine, Progress = ConsoleProgress.Instance,
                    },
                }, cancel);
                var chosen = result.State.Selection is { } f
                    ? $"valid NDCG@10 {f.ChosenNdcg10:F4} on all {f.Users:N0} validation users"
                    : $"valid NDCG@10 {result.State.BestNdcg10:F4}, loss {result.State.BestValidLoss:F4}";
                output2.WriteLine($"run {result.RunDirectory}: {result.State.Curve.Count} epochs, best epoch {result.State.BestEpoch} " +
                                  $"({chosen}){(result.State.StopReason is { } r ? $"; {r}" : "")}");
            }
            catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
            {
                throw new UsageException(e.Message);
            }
            return Task.FromResult(0);
        });
        return cmd;
    }
}
