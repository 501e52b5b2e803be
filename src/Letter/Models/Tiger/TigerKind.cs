using Letter.Common;
using Letter.Data;
using Letter.Evaluation;
using Letter.Generation;
using Letter.Runs;
using Letter.Training;
using TorchSharp;

namespace Letter.Models.Tiger;

/// <summary>TIGER as a recommender kind: a T5 encoder-decoder trained from scratch on the identifiers.</summary>
public sealed class TigerKind : RecommenderKind
{
    public const string KindName = "tiger";
    public static readonly TigerKind Instance = new();

    public override string Name => KindName;
    public override string DisplayName => "TIGER";
    public override string Description => "a T5 encoder-decoder trained from scratch";
    public override TrainingSchedule DefaultConfig { get; } = new TigerConfig();
    public override RunFolder Folder(string directory) => new TigerRunFolder(directory);
    public override TrainingSchedule ReadConfig(RunFolder run) => new TigerRunFolder(run.Directory).ReadInfo().Config;

    public override IReadOnlyList<KindOption> Options { get; } =
    [
        new("dropout", "tiger: dropout probability (the paper's 0.1); at a budget of about 15-18 epochs, 0 or 0.05 does better (docs/benchmarks.md)"),
        new("text-tokens", "tiger: vocabulary rows never read or generated, beside the codes: 32098 gives the original LETTER-TIGER's T5 vocabulary (32,100 text tokens + codes); 0 = codes only, as TIGER"),
        new("batching", "tiger: by-length: each batch holds one input length, nothing padded (fast); random: batches drawn from all samples and padded to their longest, as the original's Hugging Face Trainer", ["by-length", "random"]),
        new("bf16", "tiger: matrix products in bfloat16 (fp32 weights, optimizer, norms, softmax and loss)", []),
    ];

    public override bool SupportsInitFrom => true;

    public override TrainingSchedule Configure(TrainingSchedule config, IReadOnlyDictionary<string, string> options)
    {
        var c = (TigerConfig)config;
        if (options.TryGetValue("dropout", out var dropout)) c = c with { Dropout = KindOptionValues.Double("dropout", dropout) };
        if (options.TryGetValue("text-tokens", out var text)) c = c with { TextTokens = KindOptionValues.Int("text-tokens", text) };
        if (options.TryGetValue("batching", out var batching)) c = c with { Batching = batching == "random" ? SampleBatching.Random : SampleBatching.ByLength };
        if (options.ContainsKey("bf16")) c = c with { Bf16 = true };
        c.Validate();
        return c;
    }

    public override TrainResult Train(KindTrainRequest request, CancellationToken cancel = default) =>
        TigerTrainer.Train(request.Data, request.Index, (TigerConfig)request.Config, request.RunDirectory, cancel,
            new TigerTrainOptions(request.Train) { InitFrom = request.InitFrom });

    /// <summary>The run config's <c>tiger</c> section, hashed with the test sample size (<see cref="TigerStageSettings"/>).</summary>
    public override KindSection PipelineSection(TrainingSchedule? section, int seed, int? evalMaxUsers, Func<string, string?> setting)
    {
        var config = (TigerConfig?)section ?? new TigerConfig { Seed = seed };
        return new KindSection(config, new Dictionary<string, string>(), new Dictionary<string, string>(), new TigerStageSettings(config, evalMaxUsers));
    }

    public override void Benchmark(string spec, ItemIndex index, TrainingSchedule config, IReadOnlyDictionary<string, string> options, TextWriter output,
        Action<Common.RuntimeOptions>? applyRuntime) => TigerBenchmark.Run(spec, index, (TigerConfig)config, output, applyRuntime);

    public override bool Bf16Products(TrainingSchedule config) => ((TigerConfig)config).Bf16;

    public override RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best, ComputeDevice device = default)
    {
        var folder = new TigerRunFolder(run.Directory);
        var info = folder.ReadInfo();
        var file = folder.CheckpointFile(checkpoint);
        if (!File.Exists(file)) throw new IO.LetterDataException(file, null, "is missing: the run has no trained checkpoint yet");
        var model = new TigerModel(info.Config, info.VocabularySize, device);
        try
        {
            TigerCheckpoint.Load(file, model);
            return new TigerRunModel(model, info, folder.ReadIndex(), file);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private sealed class TigerRunModel(TigerModel model, TigerRunInfo info, ItemIndex runIndex, string checkpoint) : RunModel
    {
        private bool _bf16;
        private readonly List<WeakReference<TigerGenerator>> _generators = [];
        public override TrainingSchedule Schedule => info.Config;
        public override string Checkpoint => checkpoint;
        public override int[] CodebookSizes => info.CodebookSizes;

        public override GenerativeRecommender Recommender(ItemIndex index, int[] popularity)
        {
            var recommender = TigerRecommender.Create(model, index, popularity, info.Config.Beam, ownsModel: false);
            if (_bf16) recommender.Tiger().UseBf16();
            lock (_generators) _generators.Add(new WeakReference<TigerGenerator>(recommender.Tiger()));
            return recommender;
        }

        public override void UseBf16()
        {
            // each generator records its precision beside the metrics it decodes
            lock (_generators)
                foreach (var g in _generators)
                    if (g.TryGetTarget(out var generator)) generator.UseBf16();
            model.to(TorchSharp.torch.ScalarType.BFloat16);
            _bf16 = true;
        }

        public override double TeacherForcedLoss(IReadOnlyList<Sample> samples)
        {
            var (inputs, targets) = TigerVocabulary.For(runIndex, info.Config.TextTokens).EncodeSamples(runIndex, samples);
            return Letter.Models.Tiger.TeacherForcedLoss.Compute(model, inputs, targets, info.Config.Temperature, info.Config.BatchSize);
        }

        protected override void DisposeModel() => model.Dispose();
    }
}
