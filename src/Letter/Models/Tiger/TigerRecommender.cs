using Letter.Common;
using Letter.Data;
using Letter.Generation;
using Letter.IO;
using Letter.Runs;

namespace Letter.Models.Tiger;

/// <summary>TIGER models and run folders as <see cref="GenerativeRecommender"/>s.</summary>
public static class TigerRecommender
{
    /// <summary>A recommender over a model in memory (training, tests); it does not own the model.</summary>
    public static GenerativeRecommender Create(TigerModel model, ItemIndex index, int[] popularity, int beam = 20, bool ownsModel = false)
    {
        var generator = new TigerGenerator(model, index);
        if (model.training) model.eval(); // not written when already in eval mode: a served model is shared with decoding lanes
        return new GenerativeRecommender(generator, new IdentifierCatalog(index, popularity, generator), ownsModel ? model : null) { Beam = beam };
    }

    /// <summary>
    /// Loads a run's checkpoint from the run folder alone (config, index copy, item popularity, checkpoint);
    /// runs made before the folder kept its popularity count it again from their dataset. The model is
    /// loaded onto <paramref name="device"/> (the CPU by default), where it decodes.
    /// </summary>
    public static GenerativeRecommender Load(string runDirectory, CheckpointChoice checkpoint = CheckpointChoice.Best, ComputeDevice device = default)
    {
        var run = new TigerRunFolder(runDirectory);
        var info = run.ReadInfo();
        var index = run.ReadIndex();
        var popularity = run.ReadPopularity(info);
        var model = new TigerModel(info.Config, info.VocabularySize, device);
        try
        {
            TigerCheckpoint.Load(run.CheckpointFile(checkpoint), model);
            return Create(model, index, popularity, info.Config.Beam, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The TIGER generator behind a recommender made here.</summary>
    public static TigerGenerator Tiger(this GenerativeRecommender recommender) =>
        recommender.Generator as TigerGenerator ?? throw new ArgumentException("not a TIGER recommender");
}
