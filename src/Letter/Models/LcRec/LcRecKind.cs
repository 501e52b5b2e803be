using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;
using Letter.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>LC-Rec as a recommender kind: a LLaMA-family language model fine-tuned with LoRA on LC-Rec's prompt.</summary>
public sealed class LcRecKind : RecommenderKind
{
    public const string KindName = "lc-rec";
    public static readonly LcRecKind Instance = new();

    public override string Name => KindName;
    public override string DisplayName => "LC-Rec";
    public override string Description => "a LLaMA-family language model (--base) fine-tuned with LoRA on LC-Rec's prompt (docs/llm.md)";
    public override TrainingSchedule DefaultConfig { get; } = new LcRecConfig();
    public override RunFolder Folder(string directory) => new LcRecRunFolder(directory);
    public override TrainingSchedule ReadConfig(RunFolder run) => new LcRecRunFolder(run.Directory).ReadInfo().Config;

    public override IReadOnlyList<KindOption> Options { get; } =
    [
        new("base", "lc-rec: the base language model, a Hugging Face folder (config.json, model.safetensors or shards, tokenizer.json) or a GGUF file (f32/f16)"),
        new("lora-embeddings", "lc-rec: what trains besides the LoRA adapters: all (embedding and head, the original's modules_to_save), freeze-new (the new identifier-token rows keep their initial values), frozen (adapters only)", ["all", "freeze-new", "frozen"]),
        new("base-name", "lc-rec: the Hugging Face name of the base model (e.g. HuggingFaceTB/SmolLM2-135M) that adapter_config.json gives as base_model_name_or_path; default: the base model's absolute path"),
        new("loss", "lc-rec: response (the ranking-guided loss on the target identifier and EOS) or whole (every token of the prompt too, the original code's default)", ["response", "whole"]),
    ];

    public override TrainingSchedule Configure(TrainingSchedule config, IReadOnlyDictionary<string, string> options)
    {
        var c = (LcRecConfig)config;
        if (options.TryGetValue("loss", out var loss)) c = c with { Loss = loss == "whole" ? LcRecLoss.WholeSequence : LcRecLoss.Response };
        if (options.TryGetValue("lora-embeddings", out var embeddings))
            c = c with
            {
                Lora = c.Lora with
                {
                    Embeddings = embeddings switch { "freeze-new" => EmbeddingTraining.FreezeNewTokens, "frozen" => EmbeddingTraining.Frozen, _ => EmbeddingTraining.All },
                },
            };
        if (options.TryGetValue("base-name", out var baseName)) c = c with { Lora = c.Lora with { BaseModelName = baseName } };
        c.Validate();
        return c;
    }

    private static string BaseModel(IReadOnlyDictionary<string, string> options) =>
        options.TryGetValue("base", out var b) ? b : throw new ArgumentException("lc-rec needs a base language model (--base: a Hugging Face folder or a GGUF file)");

    public override TrainResult Train(KindTrainRequest request, CancellationToken cancel = default)
    {
        if (request.InitFrom is not null) throw new ArgumentException("lc-rec runs start from their base model: initial weights of another run are not supported");
        // a resumed run names its own base model
        string baseModel = request.Train.Resume && new LcRecRunFolder(request.RunDirectory).Exists && !request.Options.ContainsKey("base")
            ? new LcRecRunFolder(request.RunDirectory).ReadInfo().BaseModel : BaseModel(request.Options);
        return LcRecTrainer.Train(request.Data, request.Index, baseModel, (LcRecConfig)request.Config, request.RunDirectory, cancel, request.Train);
    }

    /// <summary>
    /// The run config's <c>lc_rec</c> section and its top-level <c>base_model</c> (the kind's <c>base</c> option,
    /// and a stage input when it is a file), hashed with the test sample size (<see cref="LcRecStageSettings"/>).
    /// </summary>
    public override KindSection PipelineSection(TrainingSchedule? section, int seed, int? evalMaxUsers, Func<string, string?> setting)
    {
        var config = (LcRecConfig?)section ?? new LcRecConfig { Seed = seed };
        if (string.IsNullOrWhiteSpace(setting("base_model")))
            throw new LetterConfigException("base_model: recommender lc-rec needs a base language model (a Hugging Face folder or a GGUF file)");
        var baseModel = Path.GetFullPath(setting("base_model")!);
        var inputs = new Dictionary<string, string>();
        if (File.Exists(baseModel)) inputs["base_model"] = baseModel;
        return new KindSection(config, new Dictionary<string, string> { ["base"] = baseModel }, inputs, new LcRecStageSettings(config, baseModel, evalMaxUsers));
    }

    public override void Benchmark(string spec, ItemIndex index, TrainingSchedule config, IReadOnlyDictionary<string, string> options, TextWriter output,
        Action<Common.RuntimeOptions>? applyRuntime)
    {
        applyRuntime?.Invoke(new Common.RuntimeOptions(config.Threads, Fp32Products: !spec.Contains("bf16")));
        LcRecBenchmark.Run(spec, BaseModel(options), index, (LcRecConfig)config, output);
    }

    /// <summary>Loads a checkpoint with its adapters merged into the base weights (decoding runs no extra products).</summary>
    public override RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best, ComputeDevice device = default) =>
        Load(run, checkpoint, merge: true, device);

    public static RunModel Load(RunFolder run, CheckpointChoice checkpoint, bool merge, ComputeDevice device = default)
    {
        var folder = new LcRecRunFolder(run.Directory);
        var info = folder.ReadInfo();
        var index = folder.ReadIndex();
        var adapter = folder.CheckpointFolder(checkpoint);
        if (!Directory.Exists(adapter)) throw new LetterDataException(adapter, null, "is missing: the run has no checkpoint yet");
        if (!File.Exists(info.BaseModel) && !Directory.Exists(info.BaseModel))
            throw new LetterDataException(info.BaseModel, null, $"is missing: the run in {folder.Directory} was trained on this base model");
        var lc = LcRecTrainer.Build(info.BaseModel, index, info.Config, device);
        try
        {
            LcRecCheckpoint.Load(adapter, lc);
            if (merge) LoraAdapters.Merge(lc.Model);
            lc.Model.eval();
            return new LcRecRunModel(lc, info, adapter);
        }
        catch
        {
            lc.Dispose();
            throw;
        }
    }

    private sealed class LcRecRunModel(LcRecModel lc, LcRecRunInfo info, string checkpoint) : RunModel
    {
        public override TrainingSchedule Schedule => info.Config;
        public override string Checkpoint => checkpoint;
        public override int[] CodebookSizes => lc.Index.CodebookSizes();

        public override GenerativeRecommender Recommender(ItemIndex index, int[] popularity)
        {
            // items added after training are spelt with the run's identifier tokens: a view of the same weights
            var model = ReferenceEquals(index, lc.Index) ? lc : lc.WithIndex(index);
            return LcRecRecommender.Create(model, popularity, info.Config.Beam, info.Config.MaxHistory);
        }

        public override void UseBf16() => lc.Model.to(ScalarType.BFloat16);

        public override double TeacherForcedLoss(IReadOnlyList<Sample> samples) =>
            LcRecTrainer.ValidationLoss(lc.Model, samples.Select(s => LcRecTrainer.Encode(lc, s)).ToList(), info.Config);

        protected override void DisposeModel() => lc.Dispose();
    }
}
