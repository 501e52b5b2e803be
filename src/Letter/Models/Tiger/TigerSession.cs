using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;
using Letter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.Tiger;

/// <summary>
/// TIGER's part of a training run: the T5 model (initialised under the run's seed), its AdamW with two
/// weight-decay groups, the ranking-guided loss of a batch of encoded histories and targets, the
/// length-grouped (or random, padded) batch plan, and its checkpoint files.
/// </summary>
internal sealed class TigerSession : TrainingSession
{
    private readonly TigerModel _model;
    private readonly TigerConfig _config;
    private readonly List<int[]> _inputs, _targets;
    private readonly List<int> _lengths;
    private readonly TorchSeed? _seed;
    private readonly TigerRunFolder? _run;
    private readonly TigerRunInfo? _info;
    private readonly ItemIndex? _index;
    private readonly int[]? _popularity;
    private readonly List<int[]>? _validationInputs, _validationTargets;
    private readonly long _parameters;
    private readonly ComputeDevice _device;
    private GenerativeRecommender? _recommender;

    /// <summary>The step alone: a model and optimizer in memory with encoded samples (no run folder).</summary>
    internal TigerSession(TigerModel model, OptimizerHelper optimizer, IReadOnlyList<int[]> inputs, IReadOnlyList<int[]> targets, TigerConfig config)
    {
        _model = model;
        Optimizer = optimizer;
        _inputs = inputs.ToList();
        _targets = targets.ToList();
        _lengths = _inputs.Select(i => i.Length).ToList();
        _config = config;
        Trainable = model.parameters().ToList();
        _device = ComputeDevice.Of(Trainable[0]);
    }

    /// <summary>
    /// A run: samples encoded, the model built under the run's seed (held until the session ends) and moved
    /// to <paramref name="device"/>, and its optimizer there.
    /// </summary>
    internal TigerSession(TigerRunFolder run, TigerRunInfo info, ItemIndex index, TigerConfig config, TigerVocabulary vocabulary, TrainingData data,
        ComputeDevice device = default)
    {
        _device = device;
        _run = run;
        _info = info;
        _index = index;
        _config = config;
        _popularity = data.Popularity;
        (_inputs, _targets) = vocabulary.EncodeSamples(index, data.Train);
        _lengths = _inputs.Select(i => i.Length).ToList();
        (_validationInputs, _validationTargets) = vocabulary.EncodeSamples(index, data.Validation);
        _seed = new TorchSeed(config.Seed);
        _model = new TigerModel(config, vocabulary.Size, device); // before the optimizer, whose state follows its parameters
        _parameters = _model.parameters().Sum(p => p.numel());
        Optimizer = TigerOptimizer.Create(_model, config);
        Trainable = _model.parameters().ToList();
        VocabularySize = vocabulary.Size;
    }

    private int VocabularySize { get; }
    internal TigerModel Model => _model;

    public override string Label => "TIGER";
    public override IReadOnlyList<int> SampleLengths => _lengths;
    public override int BatchCount => LengthBatcher.BatchCount(_lengths, _config.BatchSize, _config.Batching);
    public override List<int[]> Plan(int epoch) => LengthBatcher.Plan(_lengths, _config.Batching, _config.BatchSize, _config.Seed, epoch);
    public override IReadOnlyList<Parameter> Trainable { get; }
    public override OptimizerHelper Optimizer { get; }
    public override void TrainMode() => _model.train();
    public override void SeedDropout(ulong seed) => _model.Dropout.Reseed(seed);

    public override Tensor BatchLoss(int[] batch)
    {
        var ids = TigerBatch.StackPadded(_inputs, batch, _model.Device);
        var labels = TigerBatch.Stack(_targets, batch, _model.Device);
        return RankingGuidedLoss.Compute(_model.Logits(ids, labels), labels, _config.Temperature);
    }

    /// <summary>Every target has the same number of tokens (codes and EOS): a batch weighs its samples.</summary>
    public override double LossWeight(int[] batch) => batch.Length;

    public override GenerativeRecommender Recommender =>
        _recommender ??= TigerRecommender.Create(_model, _index!, _popularity!, _config.Beam);

    public override double ValidationLoss() =>
        TeacherForcedLoss.Compute(_model, _validationInputs!, _validationTargets!, _config.Temperature, _config.BatchSize);

    public override bool HasLastCheckpoint => File.Exists(_run!.LastCheckpoint);
    public override string LastCheckpoint => _run!.LastCheckpoint;
    public override TrainerState LoadLast() => TigerCheckpoint.Load(_run!.LastCheckpoint, _model, Optimizer);

    public override void Save(CheckpointChoice checkpoint, TrainerState state, bool withOptimizer) =>
        TigerCheckpoint.Save(checkpoint == CheckpointChoice.Best ? _run!.BestCheckpoint : _run!.LastCheckpoint, _model, state, withOptimizer ? Optimizer : null);

    public override GenerativeRecommender LoadBest() => TigerRecommender.Load(_run!.Directory, CheckpointChoice.Best, _device);

    /// <summary>A new run: the initial weights (when asked) and the run's files.</summary>
    internal void BeginNewRun(LetterDataset data, ItemIndex index, int[] popularity, Action<string>? log)
    {
        if (_info!.InitFrom is { } initial)
        {
            initial.LoadInto(_model);
            log?.Invoke($"weights from {initial.Checkpoint}; optimizer, schedule and epochs start afresh");
        }
        Directory.CreateDirectory(_run!.Directory);
        _run.WriteInfo(_info with { Parameters = _parameters });
        index.Save(_run.IndexFile);
        _run.WritePopularity(popularity);
        if (data.Items is not null) _run.WriteTitles(Enumerable.Range(0, data.ItemCount).Select(data.Title).ToArray());
        RunIds.CopyInto(_run, data.Folder);
    }

    public override IEnumerable<string> Describe(int trainSamples, int users, int stepsPerEpoch, int validationUsers)
    {
        string accumulation = _config.GradientAccumulation > 1 ? $" of {_config.GradientAccumulation} batches of {_config.BatchSize}" : "";
        yield return $"{trainSamples:N0} training samples of {users:N0} users, {stepsPerEpoch} optimizer steps{accumulation} per epoch, " +
                     $"{validationUsers:N0} validation users, {_parameters:N0} parameters, vocabulary {VocabularySize}, tau {_config.Temperature}" +
                     (_config.Batching == SampleBatching.Random ? ", random batches padded to their longest input" : "");
        yield return _device.IsCpu
            ? $"{torch.get_num_threads()} threads, {(_config.Bf16 ? "bf16" : "fp32")} products; {MklCpuDispatch.Status}"
            : $"device {_device}, {(_config.Bf16 ? "bf16" : "fp32")} products";
    }

    public override void Dispose()
    {
        _recommender?.Dispose();
        if (_run is not null) _model.Dispose();
        _seed?.Dispose();
    }
}
