using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.Runs;
using Letter.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Tests.Kinds;

/// <summary>The stub-bag kind's part of the one trainer: its model and AdamW, shuffled batches, the batch loss and checkpoints.</summary>
internal sealed class StubBagSession : TrainingSession
{
    private readonly RunFolder _run;
    private readonly StubBagRunInfo _info;
    private readonly ItemIndex _index;
    private readonly TrainingData _data;
    private readonly TorchSeed _seed;
    private readonly StubBagModel _model;
    private GenerativeRecommender? _recommender;

    public StubBagSession(RunFolder run, StubBagRunInfo info, ItemIndex index, TrainingData data, ComputeDevice device)
    {
        _run = run;
        _info = info;
        _index = index;
        _data = data;
        _seed = new TorchSeed(info.Config.Seed); // the initial weights follow the run's seed
        _model = new StubBagModel(info.ItemCount, info.CodebookSizes, info.Config.Dim, info.Config.MaxHistory, device.ToTorch());
        Trainable = _model.parameters().ToList();
        Optimizer = optim.AdamW(Trainable, info.Config.LearningRate, weight_decay: info.Config.WeightDecay);
        SampleLengths = data.Train.Select(s => s.History.Length).ToList();
    }

    public override string Label => "stub-bag";
    public override IReadOnlyList<int> SampleLengths { get; }
    public override int BatchCount => (_data.Train.Count + _info.Config.BatchSize - 1) / _info.Config.BatchSize;

    /// <summary>All samples shuffled by (seed, epoch), in batches of the run's size.</summary>
    public override List<int[]> Plan(int epoch)
    {
        var rng = new SplitMix64((ulong)_info.Config.Seed * 7919UL + (ulong)epoch);
        var order = Enumerable.Range(0, _data.Train.Count).OrderBy(_ => rng.NextUInt64()).ToArray();
        return order.Chunk(_info.Config.BatchSize).ToList();
    }

    public override IReadOnlyList<Parameter> Trainable { get; }
    public override OptimizerHelper Optimizer { get; }
    public override void TrainMode() => _model.train();
    public override void SeedDropout(ulong seed) { } // no dropout

    public override Tensor BatchLoss(int[] batch) => BatchLoss(_model, _index, batch.Select(i => _data.Train[i]).ToList(), _info.Config.Temperature);

    private static Tensor BatchLoss(StubBagModel model, ItemIndex index, IReadOnlyList<Sample> samples, double temperature)
    {
        var labels = tensor(model.TargetTokens(index.Codes, samples.Select(s => s.Target).ToList()), [samples.Count, model.Levels + 1], device: model.Device);
        return RankingGuidedLoss.Compute(model.TeacherForced(samples.Select(s => s.History).ToList(), labels), labels, temperature);
    }

    /// <summary>The teacher-forced loss of <paramref name="samples"/> (no gradient), their mean over samples.</summary>
    internal static double Loss(StubBagModel model, ItemIndex index, IReadOnlyList<Sample> samples, double temperature)
    {
        if (samples.Count == 0) return 0;
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double sum = 0;
        foreach (var chunk in samples.Chunk(64)) sum += BatchLoss(model, index, chunk, temperature).item<float>() * chunk.Length;
        return sum / samples.Count;
    }

    public override double LossWeight(int[] batch) => batch.Length;

    public override GenerativeRecommender Recommender
    {
        get
        {
            if (_recommender is null)
            {
                var generator = new StubBagGenerator(_model);
                _recommender = new GenerativeRecommender(generator, new IdentifierCatalog(_index, _data.Popularity, generator)) { Beam = _info.Config.Beam };
            }
            _model.eval();
            return _recommender;
        }
    }

    public override double ValidationLoss()
    {
        _model.eval();
        return Loss(_model, _index, _data.Validation, _info.Config.Temperature);
    }

    public override bool HasLastCheckpoint => File.Exists(StubBagKind.LastCheckpoint(_run));
    public override string LastCheckpoint => StubBagKind.LastCheckpoint(_run);
    public override TrainerState LoadLast() => StubBagCheckpoint.Load(LastCheckpoint, _model, Optimizer);

    public override void Save(CheckpointChoice checkpoint, TrainerState state, bool withOptimizer) =>
        StubBagCheckpoint.Save(checkpoint == CheckpointChoice.Best ? StubBagKind.BestCheckpoint(_run) : LastCheckpoint, _model, state,
            withOptimizer ? Optimizer : null);

    public override GenerativeRecommender LoadBest()
    {
        var model = new StubBagModel(_info.ItemCount, _info.CodebookSizes, _info.Config.Dim, _info.Config.MaxHistory, _model.Device);
        StubBagCheckpoint.Load(StubBagKind.BestCheckpoint(_run), model);
        model.eval();
        var generator = new StubBagGenerator(model);
        return new GenerativeRecommender(generator, new IdentifierCatalog(_index, _data.Popularity, generator), model) { Beam = _info.Config.Beam };
    }

    public override void Dispose()
    {
        _recommender?.Dispose();
        _model.Dispose();
        _seed.Dispose();
    }
}
