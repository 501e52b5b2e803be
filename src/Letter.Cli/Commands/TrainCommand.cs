using System.CommandLine;
using Letter.Data;
using Letter.Models.Tiger;
using Letter.Models.LcRec;

using Letter.Cli.Progress;

using Letter.Common;
using Letter.Formats;
using Letter.Training;

namespace Letter.Cli.Commands;

/// <summary><c>letter train DIR --index INDEX.json --out RUN</c>: trains TIGER on a dataset folder.</summary>
public static class TrainCommand
{
    public static Command Build()
    {
        var d = new TigerConfig();
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout (NAME.inter.json)" };
        var index = new Option<string?>("--index") { Description = "Item identifiers (LETTER index.json); default: the dataset's NAME.index.json" };
        var output = new Option<string>("--out") { Description = "Run folder to write (config.json, checkpoints/, training-curve.json)", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (its config.json wins)" };
        var initFrom = new Option<string?>("--init-from") { Description = "Start from the weights of another run on the same index (a run folder: its chosen best checkpoint; or a checkpoint file in one); optimizer, warm-up, cosine and epochs start afresh, e.g. to train a finished run longer" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs (the cosine schedule spans them all)", DefaultValueFactory = _ => d.Epochs };
        var seed = new Option<int>("--seed") { Description = "Random seed (initialisation, batch order, dropout, user samples)", DefaultValueFactory = _ => d.Seed };
        var temperature = new Option<double>("--temperature") { Description = "Ranking-guided loss temperature tau (1 = plain TIGER)", DefaultValueFactory = _ => d.Temperature };
        var batch = new Option<int>("--batch-size") { Description = "Training batch size", DefaultValueFactory = _ => d.BatchSize };
        var accumulate = new Option<int>("--grad-accum") { Description = "Batches per optimizer step (gradient accumulation); the paper's effective batch 1,024 is --batch-size 256 --grad-accum 4", DefaultValueFactory = _ => d.GradientAccumulation };
        var batching = new Option<string>("--batching") { Description = "by-length: each batch holds one input length, nothing padded (fast); random: batches drawn from all samples and padded to their longest, as the original's Hugging Face Trainer (on Instruments 2.4-2.5x the time per epoch, level in accuracy after 3 epochs)", DefaultValueFactory = _ => "by-length" };
        batching.AcceptOnlyFromAmong("by-length", "random");
        var lr = new Option<double>("--lr") { Description = "Peak learning rate (AdamW)", DefaultValueFactory = _ => d.LearningRate };
        var beam = new Option<int>("--beam") { Description = "Beam size for validation and evaluation", DefaultValueFactory = _ => d.Beam };
        var maxUsers = new Option<int?>("--max-users") { Description = "Train and validate on a fixed seeded sample of this many users (quick checks)" };
        var validUsers = new Option<int>("--valid-users") { Description = "Validation users sampled for the per-epoch check (0 = all); at the end of a run selected by NDCG@10, the sample's best epoch and the last are compared on all of them", DefaultValueFactory = _ => d.ValidationUsers };
        var patience = new Option<int>("--patience") { Description = "Stop after this many epochs without a better validation score (see --select-by)", DefaultValueFactory = _ => d.Patience };
        var selectBy = new Option<string>("--select-by") { Description = "What the best checkpoint and early stopping go by: ndcg (NDCG@10 of decoded beams, the reported metric) or loss (the teacher-forced validation loss, as the original LETTER-TIGER's Trainer); both are recorded every epoch", DefaultValueFactory = _ => "ndcg" };
        selectBy.AcceptOnlyFromAmong("ndcg", "loss");
        var budget = new Option<double>("--time-budget") { Description = "Training minutes not to exceed: no epoch starts that, judged by the last one, would end later (0 = none); the final choice on all validation users comes after it", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => d.Threads };
        var dropout = new Option<double>("--dropout") { Description = "Dropout probability (the paper's 0.1); at a budget of about 15-18 epochs, 0 or 0.05 does better (docs/benchmarks.md)", DefaultValueFactory = _ => d.Dropout };
        var textTokens = new Option<int>("--text-tokens") { Description = "Vocabulary rows never read or generated, beside the codes: 32098 gives the original LETTER-TIGER's T5 vocabulary (32,100 text tokens + codes); 0 = codes only, as TIGER", DefaultValueFactory = _ => d.TextTokens };
        var bf16 = new Option<bool>("--bf16") { Description = "Matrix products in bfloat16 (fp32 weights, optimizer, norms, softmax and loss)" };
        var benchmark = new Option<string?>("--benchmark") { Description = "Instead of training, time the training step and beam search: 'step:HISTORY_ITEMS,...' and/or 'beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]' (e.g. step:20,7 beam:256:7 beam:256:7:128:bf16); 'trie' times building the prefix trie of the index's identifiers and its memory" };
        var recommender = new Option<string>("--recommender") { Description = "tiger: a T5 encoder-decoder trained from scratch; lc-rec: a LLaMA-family language model (--base) fine-tuned with LoRA on LC-Rec's prompt (docs/llm.md)", DefaultValueFactory = _ => "tiger" };
        recommender.AcceptOnlyFromAmong("tiger", "lc-rec");
        var baseModel = new Option<string?>("--base") { Description = "lc-rec: the base language model, a Hugging Face folder (config.json, model.safetensors or shards, tokenizer.json) or a GGUF file (f32/f16)" };
        var loraEmbeddings = new Option<string>("--lora-embeddings") { Description = "lc-rec: what trains besides the LoRA adapters: all (embedding and head, the original's modules_to_save), freeze-new (the new identifier-token rows keep their initial values), frozen (adapters only)", DefaultValueFactory = _ => "all" };
        loraEmbeddings.AcceptOnlyFromAmong("all", "freeze-new", "frozen");
        var loss = new Option<string>("--loss") { Description = "lc-rec: response (the ranking-guided loss on the target identifier and EOS) or whole (every token of the prompt too, the original code's default)", DefaultValueFactory = _ => "response" };
        loss.AcceptOnlyFromAmong("response", "whole");
        var cmd = new Command("train", "Train a generative recommender (TIGER, or LC-Rec on a base language model) on a dataset and its item identifiers");
        cmd.Arguments.Add(dir);
        foreach (var o in new Option[] { index, output, resume, initFrom, epochs, seed, temperature, batch, accumulate, batching, lr, beam, maxUsers, validUsers, patience, selectBy, budget, threads, dropout, textTokens, bf16, benchmark, recommender, baseModel, loraEmbeddings, loss })
            cmd.Options.Add(o);
        cmd.SetAction((parse, invocationCancel) =>
        {
            using var interrupt = Interrupt.Listen(invocationCancel);
            var cancel = interrupt.Token;
            var dataset = LetterDataset.Load(parse.GetValue(dir)!, loadIndex: false);
            var indexFile = parse.GetValue(index) ?? dataset.Folder.IndexFile;
            if (!File.Exists(indexFile)) throw new UsageException($"no index: {indexFile} does not exist (pass --index)");
            var itemIndex = ItemIndexReader.Read(indexFile);
            if (parse.GetValue(recommender) == "lc-rec")
                return Task.FromResult(TrainLcRec(parse, dataset, itemIndex, indexFile, cancel, new LcRecOptions(output, resume, epochs, seed, temperature, batch, accumulate,
                    lr, beam, maxUsers, validUsers, budget, threads, baseModel, loraEmbeddings, loss, benchmark)));
            if (parse.GetValue(baseModel) is not null) throw new UsageException("--base is for --recommender lc-rec");
            var config = d with
            {
                Epochs = parse.GetValue(epochs),
                Seed = parse.GetValue(seed),
                Temperature = parse.GetValue(temperature),
                BatchSize = parse.GetValue(batch),
                GradientAccumulation = parse.GetValue(accumulate),
                Batching = parse.GetValue(batching) == "random" ? TigerBatching.Random : TigerBatching.ByLength,
                LearningRate = parse.GetValue(lr),
                Beam = parse.GetValue(beam),
                ValidationUsers = parse.GetValue(validUsers),
                Patience = parse.GetValue(patience),
                SelectBy = parse.GetValue(selectBy) == "loss" ? SelectionMetric.Loss : SelectionMetric.Ndcg,
                TimeBudgetMinutes = parse.GetValue(budget),
                Threads = parse.GetValue(threads),
                Dropout = parse.GetValue(dropout),
                TextTokens = parse.GetValue(textTokens),
                Bf16 = HostCpu.Bf16(parse.GetValue(bf16), "train", parse.InvocationConfiguration.Error),
            };
            try { config.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var output2 = parse.InvocationConfiguration.Output;
            if (parse.GetValue(benchmark) is { } spec)
            {
                LetterRuntime.Apply(new RuntimeOptions(config.Threads, Fp32Products: !config.Bf16));
                RunBenchmark(spec, itemIndex, config, output2);
                return Task.FromResult(0);
            }
            var resumedRun = new TigerRunFolder(parse.GetValue(output)!);
            var runtime = parse.GetValue(resume) && resumedRun.Exists ? resumedRun.ReadInfo().Config : config; // a resumed run's config wins
            LetterRuntime.Apply(new RuntimeOptions(runtime.Threads, Fp32Products: !runtime.Bf16));
            try
            {
                var result = TigerTrainer.Train(dataset, itemIndex, config, parse.GetValue(output)!, cancel, new TigerTrainOptions
                {
                    Resume = parse.GetValue(resume),
                    InitFrom = parse.GetValue(initFrom),
                    MaxUsers = parse.GetValue(maxUsers),
                    IndexFile = indexFile,
                    Log = Console.Error,
                    Progress = ConsoleProgress.Instance,
                });
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

    private sealed record LcRecOptions(Option<string> Output, Option<bool> Resume, Option<int> Epochs, Option<int> Seed, Option<double> Temperature,
        Option<int> Batch, Option<int> Accumulate, Option<double> Lr, Option<int> Beam, Option<int?> MaxUsers, Option<int> ValidUsers, Option<double> Budget,
        Option<int> Threads, Option<string?> BaseModel, Option<string> Embeddings, Option<string> Loss, Option<string?> Benchmark);

    /// <summary>LC-Rec training: TIGER's options that were given explicitly override LC-Rec's own defaults (4 epochs, lr 1e-4, ...).</summary>
    private static int TrainLcRec(ParseResult parse, LetterDataset dataset, ItemIndex itemIndex, string indexFile, CancellationToken cancel, LcRecOptions o)
    {
        var baseModel = parse.GetValue(o.BaseModel) ?? throw new UsageException("--recommender lc-rec needs --base MODEL (a Hugging Face folder or a GGUF file)");
        T Given<T>(Option<T> option, T fallback) => parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option)! : fallback;
        var d = new LcRecConfig();
        var config = d with
        {
            Epochs = Given(o.Epochs, d.Epochs),
            Seed = Given(o.Seed, d.Seed),
            Temperature = Given(o.Temperature, d.Temperature),
            BatchSize = Given(o.Batch, d.BatchSize),
            GradientAccumulation = Given(o.Accumulate, d.GradientAccumulation),
            LearningRate = Given(o.Lr, d.LearningRate),
            Beam = Given(o.Beam, d.Beam),
            ValidationUsers = Given(o.ValidUsers, d.ValidationUsers),
            TimeBudgetMinutes = Given(o.Budget, d.TimeBudgetMinutes),
            Threads = Given(o.Threads, d.Threads),
            Loss = parse.GetValue(o.Loss) == "whole" ? LcRecLoss.WholeSequence : LcRecLoss.Response,
            Lora = d.Lora with
            {
                Embeddings = parse.GetValue(o.Embeddings) switch { "freeze-new" => EmbeddingTraining.FreezeNewTokens, "frozen" => EmbeddingTraining.Frozen, _ => EmbeddingTraining.All },
            },
        };
        try { config.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (parse.GetValue(o.Benchmark) is { } spec)
        {
            LetterRuntime.Apply(new RuntimeOptions(config.Threads, Fp32Products: !spec.Contains("bf16")));
            RunLcRecBenchmark(spec, baseModel, itemIndex, config, parse.InvocationConfiguration.Output);
            return 0;
        }
        var runDir = parse.GetValue(o.Output)!;
        var folder = new LcRecRunFolder(runDir);
        bool resume = parse.GetValue(o.Resume);
        LetterRuntime.Apply(new RuntimeOptions(resume && folder.Exists ? folder.ReadInfo().Config.Threads : config.Threads));
        try
        {
            var result = LcRecTrainer.Train(dataset, itemIndex, baseModel, config, runDir, cancel, new LcRecTrainOptions
            {
                Resume = resume,
                MaxUsers = parse.GetValue(o.MaxUsers),
                IndexFile = indexFile,
                Log = new Letter.Progress.LineProgress(Console.Error),
                Progress = ConsoleProgress.Instance,
            });
            parse.InvocationConfiguration.Output.WriteLine($"run {result.RunDirectory}: {result.State.Curve.Count} epochs, best epoch {result.State.BestEpoch} " +
                $"(valid NDCG@10 {result.State.BestNdcg10:F4}, loss {result.State.BestValidLoss:F4}){(result.State.StopReason is { } r ? $"; {r}" : "")}");
        }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
        {
            throw new UsageException(e.Message);
        }
        return 0;
    }

    /// <summary>
    /// LC-Rec timings: 'step:BATCH:HISTORY_ITEMS' (a training step) and 'beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]' (beam search);
    /// --base may be random:smollm2-135m or random:qwen2.5-0.5b (random weights of that shape, stories260K's tokenizer for the prompts).
    /// </summary>
    private static void RunLcRecBenchmark(string spec, string baseModel, ItemIndex index, LcRecConfig config, TextWriter output)
    {
        var opts = System.Text.Json.JsonSerializerOptions.Default;
        LlmTokenizer? tokenizer = null;
        if (baseModel.StartsWith("random:", StringComparison.Ordinal))
        {
            var gguf = PromptTokenizerFile();
            if (!File.Exists(gguf)) throw new UsageException($"a random base model spells its prompts with a GGUF file's vocabulary: set LETTER_PROMPT_TOKENIZER (no {gguf})");
            tokenizer = GgufCheckpoint.ReadTokenizer(GgufFile.Read(gguf));
        }
        using var checkpoint = LcRecBenchmark.Base(baseModel, tokenizer!, config.Seed);
        foreach (var part in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = part.Split(':');
            using var lc = LcRecModel.Create(LlmCheckpoint.FromTensors(checkpoint.Source, checkpoint.Config, checkpoint.Tensors, FreshTokenizer(checkpoint, baseModel, tokenizer)), index, config.Seed);
            LoraAdapters.Apply(lc.Model, config.Lora, config.Seed + 1);
            if (f[0] == "step" && f.Length == 3)
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(LcRecBenchmark.TrainStep(lc, config, baseModel, int.Parse(f[1]), int.Parse(f[2])), opts));
            else if (f[0] == "beam" && f.Length >= 3 && f.Skip(3).All(x => x == "bf16" || int.TryParse(x, out _)))
            {
                bool bf16 = f.Skip(3).Contains("bf16");
                int batchUsers = f.Skip(3).Where(x => x != "bf16").Select(int.Parse).DefaultIfEmpty(config.EvalBatchUsers).First();
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(LcRecBenchmark.Beam(lc, baseModel, int.Parse(f[1]), int.Parse(f[2]), config.Beam, batchUsers, bf16), opts));
            }
            else throw new UsageException($"--benchmark: cannot read '{part}' (use step:BATCH:HISTORY_ITEMS or beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16])");
        }
    }

    /// <summary>The GGUF file whose vocabulary spells a random model's prompts: LETTER_PROMPT_TOKENIZER, else ../shared's stories260K.</summary>
    private static string PromptTokenizerFile() =>
        Environment.GetEnvironmentVariable("LETTER_PROMPT_TOKENIZER") ?? Path.Combine("..", "shared", "models", "stories260K", "stories260K.gguf");

    /// <summary>A tokenizer without added tokens for each model built (identifier tokens are added per model).</summary>
    private static LlmTokenizer FreshTokenizer(LlmCheckpoint checkpoint, string baseModel, LlmTokenizer? randomTokenizer)
    {
        if (randomTokenizer is not null)
        {
            return GgufCheckpoint.ReadTokenizer(GgufFile.Read(PromptTokenizerFile()));
        }
        using var again = LlmCheckpoint.Load(baseModel);
        return again.Tokenizer ?? throw new UsageException($"{baseModel} has no tokenizer");
    }

    private static void RunBenchmark(string spec, ItemIndex index, TigerConfig config, TextWriter output)
    {
        var opts = System.Text.Json.JsonSerializerOptions.Default;
        foreach (var part in spec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = part.Split(':');
            if (f[0] == "step" && f.Length == 2)
                foreach (var h in f[1].Split(',').Select(int.Parse))
                    output.WriteLine(System.Text.Json.JsonSerializer.Serialize(TigerBenchmark.TrainStep(index, config, h), opts));
            else if (f[0] == "parts" && f.Length == 2)
                output.WriteLine(TigerBenchmark.StepBreakdown(index, config, int.Parse(f[1])));
            else if (f[0] == "beam" && f.Length >= 3 && f.Skip(3).All(x => x == "bf16" || int.TryParse(x, out _)))
            {
                // beam:USERS:HISTORY_ITEMS[:BATCH_USERS][:bf16]
                bool bf16 = f.Skip(3).Contains("bf16");
                LetterRuntime.Apply(new RuntimeOptions(config.Threads, Fp32Products: !bf16));
                int batchUsers = f.Skip(3).Where(x => x != "bf16").Select(int.Parse).DefaultIfEmpty(config.EvalBatchUsers).First();
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(TigerBenchmark.Beam(index, config with { EvalBatchUsers = batchUsers }, int.Parse(f[1]), int.Parse(f[2]), bf16: bf16), opts));
            }
            else if (f[0] == "trie" && f.Length == 1)
                output.WriteLine(System.Text.Json.JsonSerializer.Serialize(TigerBenchmark.Trie(index, config), opts));
            else throw new UsageException($"--benchmark: cannot read '{part}' (use step:20,7 or beam:256:7, beam:256:7:128:bf16, or trie)");
        }
    }
}
