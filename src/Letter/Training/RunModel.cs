using Letter.Data;
using Letter.Generation;
using Letter.Runs;

namespace Letter.Training;

/// <summary>
/// The trained model of a run folder, loaded by its kind: what every host needs of it without knowing
/// the kind. Recommenders made from it share its weights; the model outlives them.
/// </summary>
public abstract class RunModel : IDisposable
{
    /// <summary>The run's shared schedule (its kind's config).</summary>
    public abstract TrainingSchedule Schedule { get; }

    /// <summary>The checkpoint loaded (a file or a folder), e.g. for a version stamp.</summary>
    public abstract string Checkpoint { get; }

    /// <summary>Codes per level the model knows: identifiers of items added later must lie within them.</summary>
    public abstract int[] CodebookSizes { get; }

    /// <summary>
    /// A recommender over <paramref name="index"/> (the run's own or one with items added after training,
    /// within <see cref="CodebookSizes"/>) and its items' popularity; it shares this model's weights
    /// and does not own them. Its beam is the run's.
    /// </summary>
    public abstract GenerativeRecommender Recommender(ItemIndex index, int[] popularity);

    /// <summary>Decodes in bfloat16 from now on (weights converted; scores in fp32).</summary>
    public abstract void UseBf16();

    /// <summary>The teacher-forced ranking-guided loss of the samples' targets (the run's temperature, no dropout).</summary>
    public abstract double TeacherForcedLoss(IReadOnlyList<Sample> samples);

    protected abstract void DisposeModel();

    public void Dispose()
    {
        DisposeModel();
        GC.SuppressFinalize(this);
    }
}
