using System.Runtime.CompilerServices;
using System.Text.Json;
using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Kinds;
using Letter.Runs;
using Letter.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Tests.Kinds;

/// <summary>The stub-bag kind's config: the shared schedule (small defaults) and its embedding width.</summary>
public sealed record StubBagConfig : TrainingSchedule
{
    public int Dim { get; init; } = 16;

    public StubBagConfig()
    {
        Epochs = 3;
        BatchSize = 16;
        LearningRate = 1e-2;
        WarmupFraction = 0;
        Temperature = 1;
        MaxHistory = 5;
        Beam = 5;
        ValidationUsers = 0;
        CheckpointMinutes = 0;
        EvalBatchUsers = 16;
    }

    public override void Validate()
    {
        if (Dim < 1) throw new ArgumentException($"--bag-dim must be at least 1 (got {Dim})");
    }
}

/// <summary>The stub-bag run record (config.json): the kind-neutral keys RunRecord reads, and the codebook sizes the model was built for.</summary>
public sealed record StubBagRunInfo(StubBagConfig Config, string DatasetDirectory, string? IndexFile, string IndexSha256, int ItemCount,
    int[] CodebookSizes, int? MaxUsers, string Created, RunVersions? Versions) : IRunIndexRecord
{
    public string Kind { get; init; } = StubBagKind.KindName;
    public int SchemaVersion { get; init; } = RunRecord.CurrentSchema;
}

/// <summary>
/// A third recommender kind that only the test project knows: registered on <see cref="KindRegistry.Default"/>
/// when the test assembly loads, so the unchanged CLI, evaluation and service reach it through the registry.
/// </summary>
public sealed class StubBagKind : RecommenderKind
{
    public const string KindName = "stub-bag";
    public static readonly StubBagKind Instance = new();

    [ModuleInitializer]
    internal static void Register() => KindRegistry.Default.Register(Instance);

    public override string Name => KindName;
    public override string Description => "a test-only item-bag model";
    public override TrainingSchedule DefaultConfig { get; } = new StubBagConfig();
    public override IReadOnlyList<KindOption> Options { get; } = [new("bag-dim", "stub-bag: embedding width")];

    public override TrainingSchedule Configure(TrainingSchedule config, IReadOnlyDictionary<string, string> options)
    {
        var c = (StubBagConfig)config;
        if (options.TryGetValue("bag-dim", out var dim)) c = c with { Dim = KindOptionValues.Int("bag-dim", dim) };
        c.Validate();
        return c;
    }

    internal static string LastCheckpoint(RunFolder run) => Path.Combine(run.CheckpointDirectory, "last.ckpt");
    internal static string BestCheckpoint(RunFolder run) => Path.Combine(run.CheckpointDirectory, "best.ckpt");

    internal static StubBagRunInfo ReadInfo(RunFolder run) =>
        LetterJson.Deserialize<StubBagRunInfo>(File.ReadAllText(run.ConfigFile)) ?? throw new LetterDataException(run.ConfigFile, null, "is empty");

    public override TrainingSchedule ReadConfig(RunFolder run) => ReadInfo(run).Config;

    public override TrainResult Train(KindTrainRequest request, CancellationToken cancel = default)
    {
        var run = new RunFolder(request.RunDirectory);
        var options = request.Train;
        var (resumed, hash) = RunStart.Check(run, LastCheckpoint(run), () => ReadInfo(run), request.Data, request.Index, request.Config, options);
        var config = resumed?.Config ?? (StubBagConfig)request.Config;
        var info = resumed ?? new StubBagRunInfo(config, Path.GetFullPath(request.Data.Folder.Directory),
            options.IndexFile is null ? null : Path.GetFullPath(options.IndexFile), hash, request.Data.ItemCount, request.Index.CodebookSizes(),
            options.MaxUsers, DateTime.UtcNow.ToString("o"), RunVersions.Current());
        var prepared = Trainer.Prepare(request.Data, config, info.MaxUsers);
        using var session = new StubBagSession(run, info, request.Index, prepared, options.Device);
        return Trainer.Run(session, run, config, prepared, () =>
        {
            Directory.CreateDirectory(run.Directory);
            AtomicFile.WriteAllText(run.ConfigFile, JsonSerializer.Serialize(info, LetterJson.Options));
            request.Index.Save(run.IndexFile);
        }, options, cancel);
    }

    public override RunModel Load(RunFolder run, CheckpointChoice checkpoint = CheckpointChoice.Best, ComputeDevice device = default)
    {
        var info = ReadInfo(run);
        var file = checkpoint == CheckpointChoice.Best && File.Exists(BestCheckpoint(run)) ? BestCheckpoint(run) : LastCheckpoint(run);
        if (!File.Exists(file)) throw new LetterDataException(file, null, "is missing: the run has no trained checkpoint yet");
        var model = new StubBagModel(info.ItemCount, info.CodebookSizes, info.Config.Dim, info.Config.MaxHistory, device.ToTorch());
        StubBagCheckpoint.Load(file, model);
        return new StubBagRunModel(model, info, run.ReadIndex(), file);
    }

    private sealed class StubBagRunModel(StubBagModel model, StubBagRunInfo info, ItemIndex runIndex, string checkpoint) : RunModel
    {
        public override TrainingSchedule Schedule => info.Config;
        public override string Checkpoint => checkpoint;
        public override int[] CodebookSizes => info.CodebookSizes;

        public override GenerativeRecommender Recommender(ItemIndex index, int[] popularity)
        {
            model.eval();
            var generator = new StubBagGenerator(model);
            return new GenerativeRecommender(generator, new IdentifierCatalog(index, popularity, generator)) { Beam = info.Config.Beam };
        }

        public override void UseBf16() => throw new NotSupportedException("stub-bag runs decode in fp32 only");

        public override double TeacherForcedLoss(IReadOnlyList<Sample> samples) => StubBagSession.Loss(model, runIndex, samples, info.Config.Temperature);

        protected override void DisposeModel() => model.Dispose();
    }
}

/// <summary>A stub-bag checkpoint: the trainer state as JSON, the weights and (in "last") the optimizer state.</summary>
internal static class StubBagCheckpoint
{
    public static void Save(string path, StubBagModel model, TrainerState state, OptimizerHelper? optimizer) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(JsonSerializer.Serialize(state, LetterJson.Options));
            w.Write(optimizer is not null);
            model.save(w);
            optimizer?.save_state_dict(w);
        });

    public static TrainerState Load(string path, StubBagModel model, OptimizerHelper? optimizer = null)
    {
        using var s = File.OpenRead(path);
        using var r = new BinaryReader(s);
        var state = LetterJson.Deserialize<TrainerState>(r.ReadString())!;
        bool hasOptimizer = r.ReadBoolean();
        model.load(r);
        if (optimizer is not null)
        {
            if (!hasOptimizer) throw new LetterDataException(path, null, "holds no optimizer state");
            optimizer.load_state_dict(r);
        }
        return state;
    }
}
