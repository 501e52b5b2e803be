namespace Letter.Data.Import;

/// <summary>
/// Original ids to consecutive indices in order of first appearance. Looks ids up by span, so a
/// row whose ids were seen before allocates nothing; memory grows with distinct ids only.
/// </summary>
internal sealed class IdInterner
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly List<string> _names = [];

    public IdInterner() => _lookup = _index.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _names.Count;

    public string this[int index] => _names[index];

    public int Intern(ReadOnlySpan<char> id)
    {
        if (_lookup.TryGetValue(id, out var index)) return index;
        index = _names.Count;
        var name = id.ToString();
        _index.Add(name, index);
        _names.Add(name);
        return index;
    }

    /// <summary>The index of a known id, or -1.</summary>
    public int Find(ReadOnlySpan<char> id) => _lookup.TryGetValue(id, out var index) ? index : -1;
}
