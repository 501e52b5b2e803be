namespace Letter.Data.Import;

/// <summary>
/// Every interaction read, as compact columns (user index, item index, time: 16 bytes a row) in
/// reading order; ids are interned once. The columns grow in chunks of 2^20 rows, so growing never
/// copies and never holds an old and a new array at once: a 10-million-row file takes about 160 MB
/// here, never its text. Item text is kept only for items that occur in the interactions.
/// </summary>
internal sealed class InteractionTable
{
    private const int ChunkBits = 20;
    private const int ChunkMask = (1 << ChunkBits) - 1;
    private readonly List<int[]> _user = [], _item = [];
    private readonly List<double[]> _time = [];

    public IdInterner Users { get; } = new();
    public IdInterner Items { get; } = new();
    public int Count { get; private set; }
    public long BelowMinRating { get; set; }
    public bool HasTime { get; set; }

    /// <summary>Item text by item index; null where an item has no metadata record.</summary>
    public ItemText?[]? Text { get; set; }

    public int UserAt(int row) => _user[row >> ChunkBits][row & ChunkMask];
    public int ItemAt(int row) => _item[row >> ChunkBits][row & ChunkMask];
    public double TimeAt(int row) => _time[row >> ChunkBits][row & ChunkMask];

    public void Add(int user, int item, double time)
    {
        int offset = Count & ChunkMask;
        if (offset == 0)
        {
            if (Count == int.MaxValue) throw new InvalidOperationException("more than 2^31 interactions");
            _user.Add(new int[1 << ChunkBits]);
            _item.Add(new int[1 << ChunkBits]);
            _time.Add(new double[1 << ChunkBits]);
        }
        _user[^1][offset] = user;
        _item[^1][offset] = item;
        _time[^1][offset] = time;
        Count++;
    }
}
