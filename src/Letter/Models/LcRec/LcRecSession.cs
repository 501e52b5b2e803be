using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.Runs;
using Letter.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Letter.Models.LcRec;

/// <summary>
/// LC-Rec's part of a training run: the base model with identifier tokens and LoRA adapters, the
/// trained parameters (adapters, and by default embedding and head), AdamW over them, the loss of a
/// batch of equal-length prompt+response sequences, LoRA dropout from its own seeded generator, and the
/// PEFT adapter checkpoints.
/// </summary>
internal sealed class LcRecSession : TrainingSession
{
    private readonly LcRecRunFolder _run;
    private readonly LcRecConfig _config;
    private readonly string _baseModel;
    private readonly List<LcRecSequence> _train, _validation;
    private readonly List<int> _lengths;
    private readonly Generator _dropout; // LoRA dropout's masks are drawn where the activations are: on the model's device
    private readonly FrozenRows? _frozenRows;
    private readonly int[] _popularity;
    private readonly bool _ownsModel = true;
    private GenerativeRecommender? _recommender;

    /// <summary>The step alone, on a model the caller keeps (benchmarks): no run folder, no validation.</summary>
    internal LcRecSession(LcRecModel model, LcRecConfig config, List<LcRecSequence> samples)
    {
        _run = null!;
        _baseModel = "";
        _popularity = [];
        _ownsModel = false;
        Model = model;
        _dropout = new Generator(0, model.Model.Device);
        _config = config;
        _train = samples;
        _validation = [];
        _lengths = _train.Select(t => t.Tokens.Length).ToList();
        Trainable = LoraAdapters.Trainable(model.Model, config.Lora).Select(p => p.Parameter).ToList();
        Optimizer = optim.AdamW(Trainable, config.LearningRate, weight_decay: config.WeightDecay);
        foreach (var (_, layer) in model.Model.Projections()) layer.SetDropoutGenerator(_dropout);
    }

    internal LcRecSession(LcRecRunFolder run, LcRecModel model, LcRecConfig config, string baseModel, TrainingData data)
    {
        _run = run;
        Model = model;
        _dropout = new Generator(0, model.Model.Device);
        _config = config;
        _baseModel = baseModel;
        _popularity = data.Popularity;
        try
        {
            _train = data.Train.Select(s => LcRecTrainer.Encode(model, s)).ToList();
            _validation = data.Validation.Select(s => LcRecTrainer.Encode(model, s)).ToList();
            _lengths = _train.Select(t => t.Tokens.Length).ToList();
            Trainable = LoraAdapters.Trainable(model.Model, config.Lora).Select(p => p.Parameter).ToList();
            TrainableParameters = Trainable.Sum(p => p.numel());
            Parameters = model.Model.parameters().Sum(p => p.numel());
            Optimizer = optim.AdamW(Trainable, config.LearningRate, weight_decay: config.WeightDecay);
            _frozenRows = config.Lora.Embeddings == EmbeddingTraining.FreezeNewTokens ? FrozenRows.Capture(model) : null;
            foreach (var (_, layer) in model.Model.Projections()) layer.SetDropoutGenerator(_dropout);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    internal LcRecModel Model { get; }
    internal long Parameters { get; }
    internal long TrainableParameters { get; }

    public override string Label => "LC-Rec";
    public override IReadOnlyList<int> SampleLengths => _lengths;
    public override int BatchCount => LengthBatcher.BatchCount(_lengths, _config.BatchSize);
    public override List<int[]> Plan(int epoch) => LengthBatcher.Plan(_lengths, _config.BatchSize, _config.Seed, epoch);
    public override IReadOnlyList<Parameter> Trainable { get; }
    public override OptimizerHelper Optimizer { get; }
    public override void TrainMode() => Model.Model.train();
    public override void SeedDropout(ulong seed) => _dropout.manual_seed(unchecked((long)seed));
    public override Tensor BatchLoss(int[] batch) => LcRecTrainer.BatchLoss(Model.Model, _train, batch, _config.Loss, _config.Temperature);

    /// <summary>A batch weighs its loss tokens (the response, or the whole sequence).</summary>
    public override double LossWeight(int[] batch) => LcRecTrainer.LossTokens(_train, batch, _config.Loss);

    public override void AfterStep() => _frozenRows?.Restore(Model);

    // decoding runs the adapters unmerged: training continues after it
    public override GenerativeRecommender Recommender => _recommender ??= LcRecRecommender.Create(Model, _popularity, _config.Beam, _config.MaxHistory);

    public override double ValidationLoss() => LcRecTrainer.ValidationLoss(Model.Model, _validation, _config);

    public override bool HasLastCheckpoint => Directory.Exists(_run.LastCheckpoint);
    public override string LastCheckpoint => _run.LastCheckpoint;
    public override TrainerState LoadLast() => LcRecCheckpoint.Load(_run.LastCheckpoint, Model, Optimizer);

    public override void Save(CheckpointChoice checkpoint, TrainerState state, bool withOptimizer) =>
        LcRecCheckpoint.Save(checkpoint == CheckpointChoice.Best ? _run.BestCheckpoint : _run.LastCheckpoint, Model, _config.Lora, _baseModel, state,
            withOptimizer ? Optimizer : null);

    public override GenerativeRecommender LoadBest() =>
        LcRecRecommender.Load(_run.Directory, CheckpointChoice.Best, device: ComputeDevice.Of(Model.Model.EmbeddingWeight));

    public override IEnumerable<string> Describe(int trainSamples, int users, int stepsPerEpoch, int validationUsers)
    {
        yield return $"{trainSamples:N0} training samples of {users:N0} users, {stepsPerEpoch} optimizer steps per epoch, {validationUsers:N0} validation users, " +
                     $"{Parameters:N0} parameters ({TrainableParameters:N0} trained), vocabulary {Model.Model.VocabularySize}, tau {_config.Temperature}, loss on {_config.Loss}";
    }

    public override void Dispose()
    {
        _recommender?.Dispose();
        _frozenRows?.Dispose();
        if (_ownsModel) Model.Dispose();
        _dropout.Dispose();
    }

    /// <summary>The identifier-token rows kept at their initial values (<see cref="EmbeddingTraining.FreezeNewTokens"/>).</summary>
    private sealed class FrozenRows : IDisposable
    {
        private readonly Tensor _embedding;
        private readonly Tensor? _head;

        private FrozenRows(Tensor embedding, Tensor? head)
        {
            _embedding = embedding;
            _head = head;
        }

        public static FrozenRows Capture(LcRecModel lc)
        {
            using var noGrad = no_grad();
            long rows = lc.Model.VocabularySize - lc.BaseRows;
            var e = lc.Model.EmbeddingWeight.narrow(0, lc.BaseRows, rows).clone().DetachFromDisposeScope();
            var h = lc.Model.Config.TieWordEmbeddings ? null : lc.Model.HeadWeight.narrow(0, lc.BaseRows, rows).clone().DetachFromDisposeScope();
            return new FrozenRows(e, h);
        }

        /// <summary>Puts the rows back after an optimizer step (AdamW's decay would move them even with zero gradients).</summary>
        public void Restore(LcRecModel lc)
        {
            using var noGrad = no_grad();
            lc.Model.EmbeddingWeight.narrow(0, lc.BaseRows, _embedding.shape[0]).copy_(_embedding);
            if (_head is not null) lc.Model.HeadWeight.narrow(0, lc.BaseRows, _head.shape[0]).copy_(_head);
        }

        public void Dispose()
        {
            _embedding.Dispose();
            _head?.Dispose();
        }
    }
}
