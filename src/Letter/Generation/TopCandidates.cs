namespace Letter.Generation;

/// <summary>
/// The best few candidates of one user's beam-search step, best first: higher score first, and of equal
/// scores the lower index (beam row x vocabulary + token) first. Insertion into a short sorted array: with a
/// beam of 20 nearly every candidate is refused by one comparison with the worst kept.
/// </summary>
internal sealed class TopCandidates(int capacity)
{
    private float[] _scores = new float[capacity];
    private long[] _indices = new long[capacity];
    private int _limit = capacity;

    public int Count { get; private set; }

    /// <summary>Empties the list and keeps at most <paramref name="limit"/> candidates from now on.</summary>
    public void Clear(int limit)
    {
        if (limit > _scores.Length)
        {
            _scores = new float[limit];
            _indices = new long[limit];
        }
        _limit = limit;
        Count = 0;
    }

    public void Offer(float score, long index)
    {
        if (Count == _limit && !Better(score, index, _scores[Count - 1], _indices[Count - 1])) return;
        int i = Count == _limit ? Count - 1 : Count++;
        while (i > 0 && Better(score, index, _scores[i - 1], _indices[i - 1]))
        {
            _scores[i] = _scores[i - 1];
            _indices[i] = _indices[i - 1];
            i--;
        }
        _scores[i] = score;
        _indices[i] = index;
    }

    public float Score(int k) => _scores[k];
    public long Index(int k) => _indices[k];

    private static bool Better(float score, long index, float otherScore, long otherIndex) =>
        score > otherScore || (score == otherScore && index < otherIndex);
}
