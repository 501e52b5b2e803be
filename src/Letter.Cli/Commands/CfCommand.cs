using System.CommandLine;
using System.Globalization;
using Letter.Models.SasRec;
using Letter.Data;
using Letter.IO;

using Letter.Cli.Progress;

using Letter.Common;
using Letter.Formats;

namespace Letter.Cli.Commands;

/// <summary><c>letter cf DIR</c>: SASRec collaborative item embeddings (and the SASRec baseline with --eval).</summary>
public static class CfCommand
{
    public static Command Build()
    {
        var d = new SasRecConfig();
        var dir = new Argument<string>("DIR") { Description = "Dataset folder in the LETTER layout (NAME.inter.json)" };
        var output = new Option<string?>("--out") { Description = "Output .npy, float32 [items, dim], row i = item i (default DIR/NAME.cf-sasrec-<dim>d.npy); the run's config and metrics go to FILE.npy.json, the model to FILE.sasrec.bin" };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension", DefaultValueFactory = _ => d.Dim };
        var eval = new Option<bool>("--eval") { Description = "Report full-ranking Recall@5/10 and NDCG@5/10 on validation and test (SASRec as a baseline)" };
        var epochs = new Option<int>("--epochs") { Description = "Maximum epochs (training stops earlier when validation NDCG@10 stops improving)", DefaultValueFactory = _ => d.Epochs };
        var patience = new Option<int>("--patience") { Description = "Epochs without a better validation NDCG@10 before stopping (0 = run all epochs)", DefaultValueFactory = _ => d.Patience };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => d.Seed };
        var loss = new Option<string>("--loss") { Description = "ce: full softmax cross-entropy over all items; bce: binary cross-entropy with one sampled negative (the 2018 paper)", DefaultValueFactory = _ => "ce" };
        var maxLen = new Option<int>("--max-len") { Description = "Most recent items the model sees", DefaultValueFactory = _ => d.MaxLen };
        var blocks = new Option<int>("--blocks") { Description = "Self-attention blocks", DefaultValueFactory = _ => d.Blocks };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => d.Heads };
        var dropout = new Option<double>("--dropout") { Description = "Dropout rate", DefaultValueFactory = _ => d.Dropout };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate", DefaultValueFactory = _ => d.LearningRate };
        var batch = new Option<int>("--batch-size") { Description = "Users per step", DefaultValueFactory = _ => d.BatchSize };
        var threads = new Option<int>("--threads") { Description = "Torch threads", DefaultValueFactory = _ => d.Threads };
        var force = new Option<bool>("--force") { Description = "Replace the default output file when it exists" };
        var import = new Option<string?>("--import") { Description = "Instead of training, convert official SASRec embeddings (.pt holding one tensor, or .npy; a padding row 0 is dropped) to --out as .npy" };
        var cmd = new Command("cf", "Train SASRec on the training split and write its item embeddings (the collaborative signal of the tokenizer)")
        {
            dir, output, dim, eval, epochs, patience, seed, loss, maxLen, blocks, heads, dropout, lr, batch, threads, force, import,
        };
        cmd.SetAction((parse, invocationCancel) =>
        {
            using var interrupt = Interrupt.Listen(invocationCancel);
            var cancel = interrupt.Token;
            var config = new SasRecConfig
            {
                Dim = parse.GetValue(dim),
                Epochs = parse.GetValue(epochs),
                Patience = parse.GetValue(patience),
                Seed = parse.GetValue(seed),
                Loss = parse.GetValue(loss) switch
                {
                    "ce" => SasRecLoss.CrossEntropy,
                    "bce" => SasRecLoss.BinaryCrossEntropy,
                    var l => throw new UsageException($"--loss must be ce or bce (got '{l}')"),
                },
                MaxLen = parse.GetValue(maxLen),
                Blocks = parse.GetValue(blocks),
                Heads = parse.GetValue(heads),
                Dropout = parse.GetValue(dropout),
                LearningRate = parse.GetValue(lr),
                BatchSize = parse.GetValue(batch),
                Threads = parse.GetValue(threads),
            };
            try { config.Validate(); }
            catch (ArgumentException e) { throw new UsageException(e.Message); }
            var dataset = LetterDataset.Load(parse.GetValue(dir)!, loadIndex: false);
            var stdout = parse.InvocationConfiguration.Output;
            var outFile = parse.GetValue(output);
            if (parse.GetValue(import) is { } source)
            {
                if (outFile is null) throw new UsageException("--import needs --out FILE.npy");
                OutputPath.RequireFile(outFile, "the embedding file");
                var m = CfEmbeddings.Read(source, dataset.ItemCount);
                NpyFile.Write(outFile, m);
                stdout.WriteLine($"wrote {outFile}: {m.Rows} x {m.Cols} from {source}");
                return Task.FromResult(0);
            }
            outFile ??= Path.Combine(dataset.Folder.Directory, $"{dataset.Name}.cf-sasrec-{config.Dim}d.npy");
            if (parse.GetValue(output) is null && File.Exists(outFile) && !parse.GetValue(force))
                throw new UsageException($"{outFile} exists; pass --force to replace it or --out to write elsewhere");
            LetterRuntime.Apply(new RuntimeOptions(config.Threads));
            var result = SasRecTrainer.Train(dataset, config, outFile, parse.GetValue(eval), cancel, ConsoleProgress.Instance);
            var inv = CultureInfo.InvariantCulture;
            stdout.WriteLine(string.Format(inv, "wrote {0}: {1} x {2}; best epoch {3} of {4}, validation NDCG@10 {5:0.0000}, {6:0.0} s training",
                outFile, result.Embeddings.Rows, result.Embeddings.Cols, result.BestEpoch, result.History.Count, result.BestValidNdcg10, result.TrainSeconds));
            if (result.Valid is not null && result.Test is not null)
            {
                stdout.WriteLine("split  recall@5  recall@10  ndcg@5  ndcg@10");
                foreach (var (name, m) in new[] { ("valid", result.Valid), ("test", result.Test) })
                    stdout.WriteLine(string.Format(inv, "{0,-5}  {1,8:0.0000}  {2,9:0.0000}  {3,6:0.0000}  {4,7:0.0000}",
                        name, m["recall@5"], m["recall@10"], m["ndcg@5"], m["ndcg@10"]));
            }
            if (result.TestRanks is { } ranks)
            {
                var groups = new Evaluation.TargetRepeats();
                foreach (var r in ranks) groups.Add(r.TargetInHistory == true, r.IdentifierRank);
                stdout.WriteLine(string.Format(inv, "test targets among the 20 most recent history items (TIGER's window): {0} users ({1:0.0%}), recall@10 {2:0.0000}; the other {3}: recall@10 {4:0.0000}",
                    groups.Repeat.Count, groups.RepeatShare, groups.Repeat.Recall(10), groups.New.Count, groups.New.Recall(10)));
            }
            if (result.TestRanksFile is not null)
                stdout.WriteLine($"per-user ranks: {result.ValidRanksFile}, {result.TestRanksFile} (for 'letter compare', also against a TIGER run)");
            return Task.FromResult(0);
        });
        return cmd;
    }
}
