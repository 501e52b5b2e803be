using System.Text;
using Letter.Generation;

namespace Letter.Service;

/// <summary>
/// Answers of repeated recommendation requests: the same history (or user) with the same k, beam and item
/// filter decodes to the same items on the same model, so the answer is kept, least recently used out
/// beyond the capacity. Every answer belongs to one model generation (<see cref="ServedModel.Generation"/>:
/// each load, reload and addition of items makes a new one): the cache holds the newest generation it has
/// seen only, empties itself when a newer one asks, and never answers a request of another generation, so
/// no answer from before a reload or an added item is served.
/// </summary>
internal sealed class AnswerCache(int capacity, ServiceMetrics metrics)
{
    private readonly object _lock = new();
    private readonly Dictionary<string, LinkedListNode<(string Key, List<RecommendedItem> Items)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, List<RecommendedItem> Items)> _recent = new(); // most recent first
    private long _generation = -1;

    public bool Enabled => capacity > 0;

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>The key of a checked query: its history, k, beam and filter (sets in ascending order).</summary>
    public static string Key(RecommendationQuery query)
    {
        var key = new StringBuilder(16 + query.History.Length * 6);
        key.Append(query.K).Append('/').Append(query.Beam).Append("/h");
        foreach (var item in query.History) key.Append(',').Append(item);
        if (query.Filter?.Exclude is { Count: > 0 } exclude)
        {
            key.Append("/x");
            foreach (var item in exclude.Order()) key.Append(',').Append(item);
        }
        if (query.Filter?.Only is { } only)
        {
            key.Append("/o");
            foreach (var item in only.Order()) key.Append(',').Append(item);
        }
        return key.ToString();
    }

    /// <summary>The kept answer of <paramref name="key"/> on model generation <paramref name="generation"/>, or null (counted as a hit or a miss).</summary>
    public List<RecommendedItem>? Get(long generation, string key)
    {
        if (!Enabled) return null;
        lock (_lock)
        {
            Advance(generation);
            if (_generation == generation && _entries.TryGetValue(key, out var node))
            {
                _recent.Remove(node);
                _recent.AddFirst(node);
                metrics.AnswerCacheLookup(hit: true);
                return node.Value.Items;
            }
        }
        metrics.AnswerCacheLookup(hit: false);
        return null;
    }

    /// <summary>Keeps an answer decoded on model generation <paramref name="generation"/> (dropped when a newer generation is cached already).</summary>
    public void Put(long generation, string key, List<RecommendedItem> items)
    {
        if (!Enabled) return;
        lock (_lock)
        {
            Advance(generation);
            if (_generation != generation || _entries.ContainsKey(key)) return;
            _entries[key] = _recent.AddFirst((key, items));
            while (_entries.Count > capacity)
            {
                _entries.Remove(_recent.Last!.Value.Key);
                _recent.RemoveLast();
            }
        }
    }

    /// <summary>Moves to a newer generation, forgetting every answer of the older one.</summary>
    private void Advance(long generation)
    {
        if (generation <= _generation) return;
        _generation = generation;
        _entries.Clear();
        _recent.Clear();
    }
}
