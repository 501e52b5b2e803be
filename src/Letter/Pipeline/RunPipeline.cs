using System.Diagnostics;
using System.Text.Json;
using Letter.Models.SasRec;
using Letter.Common;
using Letter.Data;
using Letter.Embeddings;
using Letter.Evaluation;
using Letter.Formats;
using Letter.IO;
using Letter.Kinds;
using Letter.Progress;
using Letter.Training;
using Letter.Models.Tiger;
using Letter.Models.LcRec;
using Letter.Runs;
using Letter.Tokenization;

namespace Letter.Pipeline;

/// <summary>One model's final test metrics, as the summary table shows them.</summary>
public sealed record ModelResult(string Model, string Stage, IReadOnlyDictionary<string, double> Metrics, int Users);

/// <summary>What a pipeline run produced.</summary>
public sealed record RunSummary(string RunDirectory, IReadOnlyList<ModelResult> Results, string ReportMarkdown, string ReportHtml, TimeSpan Elapsed);

/// <summary>
/// <c>letter run</c>: text embeddings, CF embeddings, tokenizer, TIGER training and evaluation, each in
/// its own subfolder of the run folder with a <see cref="StageManifest"/>. A rerun reuses every stage
/// whose settings and inputs are unchanged, resumes TIGER training from its last checkpoint when it
/// was interrupted, and reruns anything else.
/// </summary>
/// <param name="applyRuntime">the host's way to apply each stage's torch settings (threads, kernels) before it runs; null leaves the process as it is</param>
/// <param name="kinds">the recommender kinds the config may name (default: the built-in ones)</param>
public sealed class RunPipeline(RunConfig config, TextWriter log, IProgress<ProgressUpdate>? progress = null, Action<RuntimeOptions>? applyRuntime = null,
    KindRegistry? kinds = null)
{
    private readonly KindRegistry _kinds = kinds ?? KindRegistry.Default;
    public const string ConfigFile = "config.json";
    public const string SummaryFile = "summary.json";

    private readonly RunConfig _config = config.WithSeedApplied();
    private readonly string _run = Path.GetFullPath(config.Out);

    public RunSummary Run(CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
        Validate();
        var data = LetterDataset.Load(_config.Data, loadIndex: false);
        Directory.CreateDirectory(_run);
        AtomicFile.WriteAllText(Path.Combine(_run, ConfigFile), JsonSerializer.Serialize(
            new { config = _config, versions = RunVersions.Current(), started_utc = DateTime.UtcNow }, ConfigJson.Options));
        log.WriteLine($"run {_run}: dataset {data.Name} ({data.Users.Count:N0} users, {data.ItemCount:N0} items)");

        var semantic = SemanticStage(data, cancel);
        var (cf, sasrecMetrics) = CfStage(data, cancel);
        var results = new List<ModelResult>();

        var letterIndex = TokenizerStage("tokenizer", _config.Tokenizer, data, semantic, cf);
        var kind = Kind();
        results.Add(ModelStage(kind, kind.Name, $"LETTER-{kind.DisplayName}", data, letterIndex, cancel));
        if (_config.CompareRqVae)
        {
            var plainIndex = TokenizerStage("tokenizer-rqvae", _config.Tokenizer with { Alpha = 0, Beta = 0 }, data, semantic, cf);
            results.Add(ModelStage(kind, kind.Name + "-rqvae", $"{kind.DisplayName} (plain RQ-VAE)", data, plainIndex, cancel));
        }
        if (sasrecMetrics is not null) results.Add(sasrecMetrics);

        AtomicFile.WriteAllText(Path.Combine(_run, SummaryFile), JsonSerializer.Serialize(results, ConfigJson.Options));
        var (md, html) = RunReport.Build(_run, data, _config, results).Write(_run);
        log.WriteLine($"report: {html}");
        return new RunSummary(_run, results, md, html, clock.Elapsed);
    }

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(_config.Data)) throw new LetterConfigException("data: the dataset folder is required");
        OutputPath.RequireFolder(_run, "the run folder");
        try
        {
            _config.Embed.Validate();
            _config.Sasrec.Validate();
            _config.Tokenizer.Validate();
            _config.Tiger.Validate();
            _config.LcRec.Validate();
        }
        catch (ArgumentException e)
        {
            throw new LetterConfigException(e.Message);
        }
        if (_config.EvalMaxUsers is < 1) throw new LetterConfigException("eval_max_users must be at least 1 (or null for all)");
        var kind = Kind();
        var section = _config.Section(kind);
        try { kind.Configure(section.Config, section.Options); }
        catch (ArgumentException e) { throw new LetterConfigException($"{kind.Name}: {e.Message}"); }
    }

    private Training.RecommenderKind Kind() =>
        _kinds.TryFind(_config.Recommender)
        ?? throw new LetterConfigException($"recommender: '{_config.Recommender}' is not a recommender kind (known: {string.Join(", ", _kinds.Names)})");

    /// <summary>
    /// Runs <paramref name="work"/> unless the stage folder's manifest still matches. When only run-only
    /// settings changed, the trained outputs are kept: <paramref name="reevaluate"/> redoes what depends
    /// on them (the stage's evaluation), or, without it, the stage is reused as it is. A folder that
    /// must be redone is moved aside, never deleted.
    /// </summary>
    private void Stage(string name, object settings, IReadOnlyDictionary<string, string> inputs, IReadOnlyList<string> outputs,
        Action<string, bool> work, Action<string>? reevaluate = null)
    {
        var dir = Path.Combine(_run, name);
        var split = StageSettings.Of(settings);
        var check = StageManifest.Check(dir, split, inputs);
        var clock = Stopwatch.StartNew();
        switch (check.Status)
        {
            case StageStatus.UpToDate:
                log.WriteLine($"[{name}] up to date, reused");
                return;
            case StageStatus.RunSettingsChanged when reevaluate is null:
                // the manifest keeps describing the settings that made the outputs
                log.WriteLine($"[{name}] reused: the trained outputs are kept ({check.Reason})");
                return;
            case StageStatus.RunSettingsChanged:
                log.WriteLine($"[{name}] re-evaluating, the trained model kept ({check.Reason})");
                reevaluate!(dir);
                break;
            default:
                bool resume = check.Status == StageStatus.NotFinished;
                if (!resume && Directory.Exists(dir))
                    log.WriteLine($"[{name}] the previous {name}/ ({check.Reason}) moved aside to {Path.GetFileName(StaleStage.MoveAside(dir, DateTime.UtcNow))}/, not deleted");
                log.WriteLine($"[{name}] {(resume ? "resuming" : "running")} ({check.Reason})");
                Directory.CreateDirectory(dir);
                if (!resume) StageManifest.WriteStarted(dir, split);
                work(dir, resume);
                break;
        }
        StageManifest.Write(dir, name, split, inputs, outputs, clock.Elapsed);
        log.WriteLine($"[{name}] done in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private (FloatMatrix Matrix, string File) SemanticStage(LetterDataset data, CancellationToken cancel)
    {
        if (_config.Semantic is { } given)
            return (EmbeddingFile.Read(given).RequireRows(data.ItemCount, given, "the semantic embedding"), Path.GetFullPath(given));
        if (!data.Folder.HasItemText)
        {
            var shipped = data.Folder.SemanticEmbeddingFile;
            if (!File.Exists(shipped))
                throw new LetterConfigException($"{data.Folder.Directory} has no item text ({data.Name}.item.json) and no {Path.GetFileName(shipped)}: give semantic embeddings in the run config (semantic: FILE.npy)");
            log.WriteLine($"[embed] no item text; using {shipped}");
            return (NpyFile.Read(shipped).RequireRows(data.ItemCount, shipped, "the semantic embedding"), shipped);
        }
        var file = Path.Combine(_run, "embed", $"{data.Name}.emb.npy");
        Stage("embed", _config.Embed, new Dictionary<string, string> { ["items"] = data.Folder.ItemFile }, [Path.GetFileName(file)],
            (_, _) => TextEmbedder.EmbedDataset(data, _config.Embed, file, cancel, progress));
        return (NpyFile.Read(file), file);
    }

    private ((FloatMatrix Matrix, string File) Cf, ModelResult? Sasrec) CfStage(LetterDataset data, CancellationToken cancel)
    {
        if (_config.Cf is { } given)
            return ((EmbeddingFile.Read(given).RequireRows(data.ItemCount, given, "the CF embedding"), Path.GetFullPath(given)), null);
        var file = Path.Combine(_run, "cf", $"{data.Name}.cf.npy");
        var metricsFile = Path.Combine(_run, "cf", "metrics.json");
        Stage("cf", _config.Sasrec, new Dictionary<string, string> { ["interactions"] = data.Folder.InterFile },
            [Path.GetFileName(file), "metrics.json"],
            (_, _) =>
            {
                applyRuntime?.Invoke(new RuntimeOptions(_config.Sasrec.Threads));
                var result = SasRecTrainer.Train(data, _config.Sasrec, file, evaluateTest: true, cancel, progress);
                AtomicFile.WriteAllText(metricsFile, JsonSerializer.Serialize(result.Test ?? new Dictionary<string, double>(), ConfigJson.Options));
            });
        var metrics = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(metricsFile), ConfigJson.Options)!;
        return ((NpyFile.Read(file), file), new ModelResult("SASRec", "cf", metrics, data.Users.Count));
    }

    private (ItemIndex Index, string File) TokenizerStage(string name, TokenizerConfig tokenizer, LetterDataset data,
        (FloatMatrix Matrix, string File) semantic, (FloatMatrix Matrix, string File) cf)
    {
        var dir = Path.Combine(_run, name);
        var indexFile = Path.Combine(dir, $"{data.Name}.index.json");
        var inputs = new Dictionary<string, string> { ["semantic"] = semantic.File, ["cf"] = cf.File };
        Stage(name, tokenizer, inputs, [Path.GetFileName(indexFile), TokenizerPipeline.ReportJson],
            (stageDir, _) => RunTokenizer(tokenizer, () => TokenizerPipeline.Run(semantic.Matrix, cf.Matrix, tokenizer, stageDir, data.Name,
                [InputRecord.Of("semantic", semantic.File, semantic.Matrix), InputRecord.Of("cf", cf.File, cf.Matrix)], progress)));
        return (ItemIndexReader.Read(indexFile), indexFile);
    }

    private void RunTokenizer(TokenizerConfig tokenizer, Action run)
    {
        applyRuntime?.Invoke(new RuntimeOptions(tokenizer.Threads, Fp32Products: !tokenizer.Bf16));
        run();
    }

    /// <summary>The recommender stage of any kind: train (or resume) it, then evaluate; a change of run-only settings alone only re-evaluates.</summary>
    private ModelResult ModelStage(Training.RecommenderKind kind, string name, string model, LetterDataset data, (ItemIndex Index, string File) index,
        CancellationToken cancel)
    {
        var section = _config.Section(kind);
        var config = section.Config;
        // the stage's own protocol, with this run's evaluation settings (a change of them alone re-runs only this)
        void Evaluate(string dir)
        {
            applyRuntime?.Invoke(new RuntimeOptions(config.Threads, Fp32Products: !kind.Bf16Products(config), Device: _config.Device));
            RunEvaluation.Evaluate(dir, new RunEvaluationOptions(DataSplit.Test, _config.EvalMaxUsers, config.Beam,
                BatchUsers: config.EvalBatchUsers, MetricsFile: new RunFolder(dir).MetricsFile, Device: _config.Device), progress, cancel, _kinds);
        }
        var inputs = new Dictionary<string, string>(section.Inputs) { ["interactions"] = data.Folder.InterFile, ["index"] = index.File };
        Stage(name, section.StageSettings, inputs, ["metrics.json"],
            (dir, resume) =>
            {
                applyRuntime?.Invoke(new RuntimeOptions(config.Threads, Fp32Products: !kind.Bf16Products(config), Device: _config.Device));
                kind.Train(new KindTrainRequest
                {
                    Data = data,
                    Index = index.Index,
                    Config = kind.Configure(config, section.Options),
                    RunDirectory = dir,
                    Options = section.Options,
                    Train = new TrainOptions
                    {
                        Resume = resume && new RunFolder(dir).Exists, IndexFile = index.File, Device = _config.Device, Log = log.WriteLine, Progress = progress,
                    },
                }, cancel);
                cancel.ThrowIfCancellationRequested();
                Evaluate(dir);
            },
            reevaluate: Evaluate);
        var metrics = JsonSerializer.Deserialize<JsonElement>(File.ReadAllText(new RunFolder(Path.Combine(_run, name)).MetricsFile));
        var values = new Dictionary<string, double>();
        foreach (var p in metrics.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Number && p.Name.Contains('@')) values[p.Name] = p.Value.GetDouble();
        return new ModelResult(model, name, values, metrics.GetProperty("users").GetInt32());
    }
}
