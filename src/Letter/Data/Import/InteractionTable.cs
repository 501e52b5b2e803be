namespace Letter.Data.Import;

/// <summary>
/// Every interaction read, as compact parallel arrays (user index, item index, time: 16 bytes a
/// row) in reading order; ids are interned once. A 10-million-row file takes about 160 MB here,
/// never its text. Item text is kept only for items that occur in the interactions.
/// </summary>
internal sealed class InteractionTable
{
    private int[] _user = new int[1024], _item = new int[1024];
    private double[] _time = new double[1024];

    public IdInterner Users { get; } = new();
    public IdInterner Items { get; } = new();
    public int Count { get; private set; }
    public long BelowMinRating { get; set; }
    public bool HasTime { get; set; }

    /// <summary>Item text by item index; null where an item has no metadata record.</summary>
    public ItemText?[]? Text { get; set; }

    public ReadOnlySpan<int> User => _user.AsSpan(0, Count);
    public ReadOnlySpan<int> Item => _item.AsSpan(0, Count);
    public ReadOnlySpan<double> Time => _time.AsSpan(0, Count);

    /// <summary>The time array itself (at least <see cref="Count"/> long), for sorting without a copy.</summary>
    public double[] TimeArray => _time;

    public void Add(int user, int item, double time)
    {
        if (Count == _user.Length)
        {
            // grow by half, not double: at 10M rows a doubling would briefly hold 3x the arrays
            int size = checked(Count + Count / 2);
            Array.Resize(ref _user, size);
            Array.Resize(ref _item, size);
            Array.Resize(ref _time, size);
        }
        _user[Count] = user;
        _item[Count] = item;
        _time[Count] = time;
        Count++;
    }
}
