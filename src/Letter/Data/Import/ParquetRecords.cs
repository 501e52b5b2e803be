using System.Globalization;
using Letter.IO;
using Parquet;
using Parquet.Schema;

namespace Letter.Data.Import;

/// <summary>
/// Records of a Parquet file, one row group in memory at a time. Columns are read by name: strings
/// as they are, numbers as their invariant text, timestamps as Unix seconds. Nested and list
/// columns are not supported. <see cref="RecordReader.Line"/> is the 1-based row number.
/// </summary>
internal sealed class ParquetRecords : RecordReader
{
    private readonly FileStream _stream;
    private readonly ParquetReader _reader;
    private readonly DataField[] _fields;
    private readonly List<int> _wanted = [];
    private string?[][] _columns = [];
    private int _group = -1, _row, _rows;
    private long _rowBase;

    public ParquetRecords(string path, IProgress<ImportProgress>? progress = null) : base(path, progress)
    {
        try
        {
            _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new LetterDataException(path, null, "file not found");
        }
        try
        {
            _reader = ParquetReader.CreateAsync(_stream).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException)
        {
            _stream.Dispose();
            throw new LetterDataException(path, null, $"not a readable Parquet file: {e.Message}");
        }
        _fields = _reader.Schema.GetDataFields();
        ColumnNames = _fields.Select(f => f.Name).ToArray();
    }

    public override IReadOnlyList<string>? ColumnNames { get; }

    public override int Column(string name, string listSeparator = ", ")
    {
        int field = Array.FindIndex(_fields, f => f.Name == name);
        if (field < 0) return -1;
        if (_fields[field].IsArray)
            throw new LetterDataException(File, $"column '{name}'", "list columns are not supported; store the text as one string");
        int i = _wanted.IndexOf(field);
        if (i >= 0) return i;
        _wanted.Add(field);
        return _wanted.Count - 1;
    }

    protected override (long Bytes, long Total) Position =>
        (_reader.RowGroupCount == 0 ? 0 : (long)((double)Math.Max(0, _group) / _reader.RowGroupCount * _stream.Length), _stream.Length);

    protected override bool ReadNext(BadRows bad)
    {
        while (_row >= _rows)
        {
            _rowBase += _rows;
            if (++_group >= _reader.RowGroupCount) return false;
            using var group = _reader.OpenRowGroupReader(_group);
            _rows = (int)group.RowCount;
            _row = 0;
            _columns = _wanted.Select(f => ReadColumn(group, _fields[f], _rows)).ToArray();
        }
        Fields.Reset(_wanted.Count);
        for (int c = 0; c < _columns.Length; c++)
            if (_columns[c][_row] is { } v) Fields.Set(c, v);
        _row++;
        Line = _rowBase + _row;
        return true;
    }

    private string?[] ReadColumn(ParquetRowGroupReader group, DataField field, int rows)
    {
        var type = Nullable.GetUnderlyingType(field.ClrType) ?? field.ClrType;
        try
        {
            // Parquet.Net 6 describes string columns as ReadOnlyMemory<char>
            if (type == typeof(string) || type == typeof(ReadOnlyMemory<char>))
            {
                var values = new string?[rows];
                group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
                return values;
            }
            return type switch
            {
                _ when type == typeof(int) => Read<int>(group, field, rows, v => v.ToString(CultureInfo.InvariantCulture)),
                _ when type == typeof(long) => Read<long>(group, field, rows, v => v.ToString(CultureInfo.InvariantCulture)),
                _ when type == typeof(short) => Read<short>(group, field, rows, v => v.ToString(CultureInfo.InvariantCulture)),
                _ when type == typeof(double) => Read<double>(group, field, rows, v => v.ToString("R", CultureInfo.InvariantCulture)),
                _ when type == typeof(float) => Read<float>(group, field, rows, v => v.ToString("R", CultureInfo.InvariantCulture)),
                _ when type == typeof(decimal) => Read<decimal>(group, field, rows, v => v.ToString(CultureInfo.InvariantCulture)),
                _ when type == typeof(bool) => Read<bool>(group, field, rows, v => v ? "true" : "false"),
                _ when type == typeof(DateTime) => Read<DateTime>(group, field, rows,
                    v => (new DateTimeOffset(DateTime.SpecifyKind(v, DateTimeKind.Utc)).ToUnixTimeMilliseconds() / 1000.0).ToString("R", CultureInfo.InvariantCulture)),
                _ => throw new LetterDataException(File, $"column '{field.Name}'", $"unsupported column type {type.Name}"),
            };
        }
        catch (Exception e) when (e is not LetterDataException && e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException)
        {
            throw new LetterDataException(File, $"row group {_group}, column '{field.Name}'", $"cannot be read: {e.Message}");
        }
    }

    private static string?[] Read<T>(ParquetRowGroupReader group, DataField field, int rows, Func<T, string> text) where T : struct
    {
        var result = new string?[rows];
        if (field.IsNullable)
        {
            var values = new T?[rows];
            group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (int i = 0; i < rows; i++) result[i] = values[i] is T v ? text(v) : null;
        }
        else
        {
            var values = new T[rows];
            group.ReadAsync(field, values.AsMemory()).AsTask().GetAwaiter().GetResult();
            for (int i = 0; i < rows; i++) result[i] = text(values[i]);
        }
        return result;
    }

    public override void Dispose()
    {
        _reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream.Dispose();
    }
}
