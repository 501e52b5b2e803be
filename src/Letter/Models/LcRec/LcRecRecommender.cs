using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;

namespace Letter.Models.LcRec;

/// <summary>LC-Rec models and run folders as <see cref="GenerativeRecommender"/>s.</summary>
public static class LcRecRecommender
{
    /// <summary>A recommender over a model in memory (training, tests); it owns the model only when asked.</summary>
    public static GenerativeRecommender Create(LcRecModel model, int[] popularity, int beam = 20, int maxHistory = 20, bool ownsModel = false)
    {
        var generator = new LcRecGenerator(model, maxHistory);
        return new GenerativeRecommender(generator, new IdentifierCatalog(model.Index, popularity, generator), ownsModel ? model : null) { Beam = beam };
    }

    /// <summary>
    /// Loads a run's checkpoint: the base model it names (read again), the run's index copy, its item
    /// popularity and the adapter (LoRA matrices, embedding and head). <paramref name="merge"/> folds the
    /// adapters into the base weights, so decoding runs no extra products. The model is loaded onto
    /// <paramref name="device"/> (the CPU by default), where it decodes.
    /// </summary>
    public static GenerativeRecommender Load(string runDirectory, CheckpointChoice checkpoint = CheckpointChoice.Best, bool merge = true,
        ComputeDevice device = default)
    {
        var run = new LcRecRunFolder(runDirectory);
        var info = run.ReadInfo();
        var index = run.ReadIndex();
        var popularity = run.ReadPopularity(info.ItemCount);
        var folder = checkpoint == CheckpointChoice.Last || !Directory.Exists(run.BestCheckpoint) ? run.LastCheckpoint : run.BestCheckpoint;
        if (!Directory.Exists(folder)) throw new LetterDataException(folder, null, "is missing: the run has no checkpoint yet");
        if (!File.Exists(info.BaseModel) && !Directory.Exists(info.BaseModel))
            throw new LetterDataException(info.BaseModel, null, $"is missing: the run in {run.Directory} was trained on this base model");
        var lc = LcRecTrainer.Build(info.BaseModel, index, info.Config, device);
        try
        {
            LcRecCheckpoint.Load(folder, lc);
            if (merge) LoraAdapters.Merge(lc.Model);
            lc.Model.eval();
            return Create(lc, popularity, info.Config.Beam, info.Config.MaxHistory, ownsModel: true);
        }
        catch
        {
            lc.Dispose();
            throw;
        }
    }

    /// <summary>The LC-Rec generator behind a recommender made here.</summary>
    public static LcRecGenerator LcRec(this GenerativeRecommender recommender) =>
        recommender.Generator as LcRecGenerator ?? throw new ArgumentException("not an LC-Rec recommender");
}
