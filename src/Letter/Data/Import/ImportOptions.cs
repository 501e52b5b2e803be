using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// The preprocessing every format shares, applied in this order after reading:
/// rows below <see cref="MinRating"/> are dropped while reading; items without text are dropped
/// (when <see cref="DropItemsWithoutText"/>); each user's interactions are put in time order,
/// equal times keeping the order in which the rows were read (file order, files in the order
/// given), so MovieLens' many equal timestamps import the same way every time; repeated
/// (user, item) pairs are resolved by <see cref="Duplicates"/>; each user keeps the latest
/// <see cref="MaxSequenceLength"/> interactions; then users and items with fewer than
/// <see cref="KCore"/> interactions are removed, repeatedly, until none is left to remove (so the
/// output itself is a k-core). Dense ids: users in order of first appearance in the input, items in
/// order of first appearance walking those users' time-ordered sequences (LC-Rec's rule).
/// </summary>
public sealed record ImportOptions
{
    public static readonly ImportOptions Default = new();

    /// <summary>Keep only interactions rated at least this (null: keep all; needs a rating column).</summary>
    public double? MinRating { get; init; }

    public DuplicatePolicy Duplicates { get; init; } = DuplicatePolicy.First;

    /// <summary>Minimum interactions per user and per item, applied to a fixed point; 0 or 1 disables it.</summary>
    public int KCore { get; init; } = 5;

    /// <summary>Keep each user's latest N interactions (null: no cap). Applied before k-core filtering.</summary>
    public int? MaxSequenceLength { get; init; }

    /// <summary>Drop interactions with items that have no text (no metadata record or only blank fields).</summary>
    public bool DropItemsWithoutText { get; init; }

    /// <summary>Stop at the first bad row instead of counting it and going on.</summary>
    public bool Strict { get; init; }

    /// <summary>How many bad rows the report quotes with their line numbers.</summary>
    public int ReportedBadRows { get; init; } = 5;

    public void Validate()
    {
        if (KCore < 0) throw new LetterConfigException($"k-core must be 0 or more, got {KCore}");
        if (MaxSequenceLength is < 1) throw new LetterConfigException($"the maximum sequence length must be at least 1, got {MaxSequenceLength}");
        if (MinRating is double r && double.IsNaN(r)) throw new LetterConfigException("the minimum rating is not a number");
        if (ReportedBadRows < 0) throw new LetterConfigException("the number of reported bad rows must be 0 or more");
    }
}
