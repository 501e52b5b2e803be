namespace Letter.Generation;

/// <summary>
/// A generator that can also decode histories of different input lengths in one batch (padded and
/// masked): a capability of the seam, not of one model. Off by default, because a padded batch scores
/// equal to a batch of equal lengths only up to float rounding; a server turns it on, since concurrent
/// requests rarely share a history length. With it on, <see cref="IIdentifierGenerator.InputLength"/>
/// gives every history the same length, so <see cref="GenerativeRecommender.Decode"/> batches them together.
/// </summary>
public interface IMixedLengthGenerator : IIdentifierGenerator
{
    bool PadInputs { get; set; }
}
