namespace Letter.Data.Import;

/// <summary>
/// A forward-only reader of records with named fields, the one shape every source format is read
/// through (delimited lines, JSON lines, Python-literal lines, Parquet rows). Field values are
/// spans valid until the next record. Malformed records go to <see cref="BadRows"/> and are skipped.
/// </summary>
internal abstract class RecordReader : IDisposable
{
    private readonly IProgress<ImportProgress>? _progress;
    protected readonly FieldBuffer Fields = new();

    protected RecordReader(string file, IProgress<ImportProgress>? progress)
    {
        File = file;
        _progress = progress;
    }

    public string File { get; }

    /// <summary>Where the current record starts: a 1-based line number, or the row number for Parquet.</summary>
    public long Line { get; protected set; }

    public long Records { get; private set; }

    /// <summary>The columns the table is known to have (a header or a schema), or null where each record names its own.</summary>
    public abstract IReadOnlyList<string>? ColumnNames { get; }

    /// <summary>What the reader knows of its columns, for error messages.</summary>
    public virtual string ColumnHint => ColumnNames is { } names ? $"columns: {ColumnList(names)}" : "each record names its own fields";

    /// <summary>Column names as read, escaped (a header is input like any other) and at most 30 of them.</summary>
    public static string ColumnList(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(30).Select(n => Utf8Text.Show(n, 40))) + (names.Count > 30 ? $", ... ({names.Count} in all)" : "");

    /// <summary>
    /// A handle for the named column, or -1 when the table is known not to have it. Lists of values
    /// (JSON arrays, Python lists) are joined by <paramref name="listSeparator"/>.
    /// </summary>
    public abstract int Column(string name, string listSeparator = ", ");

    /// <summary>
    /// The reader's text decoding turns bytes that are not UTF-8 into U+FFFD (Parquet.Net does), so
    /// an id holding U+FFFD may be several ids made one and is refused. The text readers keep such
    /// bytes recognisable instead (<see cref="Utf8Text"/>).
    /// </summary>
    public virtual bool ReplacesInvalidBytes => false;

    public bool Next(BadRows bad)
    {
        if (!ReadNext(bad))
        {
            Report();
            return false;
        }
        if ((++Records & 0xFFFF) == 0) Report();
        return true;
    }

    /// <summary>The value of a column in the current record; empty when the record lacks it.</summary>
    public ReadOnlySpan<char> Field(int column) => column < 0 ? default : Fields.Get(column);

    public bool Has(int column) => column >= 0 && Fields.Has(column);

    protected abstract bool ReadNext(BadRows bad);

    protected abstract (long Bytes, long Total) Position { get; }

    private void Report()
    {
        if (_progress is null) return;
        var (bytes, total) = Position;
        _progress.Report(new ImportProgress(File, bytes, total, Records));
    }

    public virtual void Dispose() { }
}

/// <summary>The field values of one record, stored in one reusable character buffer.</summary>
internal sealed class FieldBuffer
{
    private char[] _chars = new char[256];
    private int _used;
    private int[] _start = new int[8], _length = new int[8];
    private bool[] _present = new bool[8];
    private int _columns;

    public void Reset(int columns)
    {
        if (columns > _start.Length)
        {
            Array.Resize(ref _start, columns * 2);
            Array.Resize(ref _length, columns * 2);
            Array.Resize(ref _present, columns * 2);
        }
        _columns = columns;
        Array.Clear(_present, 0, columns);
        _used = 0;
    }

    public bool Has(int column) => column < _columns && _present[column];

    public ReadOnlySpan<char> Get(int column) =>
        column < _columns && _present[column] ? new ReadOnlySpan<char>(_chars, _start[column], _length[column]) : default;

    /// <summary>Room for <paramref name="count"/> more characters, to write into and then <see cref="Commit"/>.</summary>
    public Span<char> Reserve(int count)
    {
        if (_used + count > _chars.Length) Array.Resize(ref _chars, Math.Max(_chars.Length * 2, _used + count));
        return _chars.AsSpan(_used, count);
    }

    /// <summary>Appends <paramref name="written"/> reserved characters to the column's value, after <paramref name="separator"/> when it already has one.</summary>
    public void Commit(int column, int written, string separator)
    {
        if (!_present[column] || _length[column] == 0)
        {
            _present[column] = true;
            _start[column] = _used;
            _length[column] = written;
            _used += written;
            return;
        }
        // A list's later pieces: old value, separator and the new piece move to the buffer's tail
        // (rare and small: lists of categories or description paragraphs).
        var piece = _chars.AsSpan(_used, written).ToArray();
        var previous = _chars.AsSpan(_start[column], _length[column]).ToArray();
        int total = previous.Length + separator.Length + piece.Length;
        var dest = Reserve(total);
        previous.CopyTo(dest);
        separator.CopyTo(dest[previous.Length..]);
        piece.CopyTo(dest[(previous.Length + separator.Length)..]);
        _start[column] = _used;
        _length[column] = total;
        _used += total;
    }

    public void Set(int column, ReadOnlySpan<char> value, string separator = "")
    {
        value.CopyTo(Reserve(value.Length));
        Commit(column, value.Length, separator);
    }

    /// <summary>Marks a column present with an empty value (an empty list).</summary>
    public void MarkPresent(int column)
    {
        if (_present[column]) return;
        _present[column] = true;
        _start[column] = _used;
        _length[column] = 0;
    }
}
