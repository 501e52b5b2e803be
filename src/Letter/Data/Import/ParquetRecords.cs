using System.Globalization;
using Letter.IO;
using Parquet;
using Parquet.Schema;

namespace Letter.Data.Import;

/// <summary>
/// Records of a Parquet file, one row group in memory at a time. Columns are read by name: strings
/// as they are, numbers as their invariant text, timestamps as Unix seconds. Nested and list
/// columns are not supported. <see cref="RecordReader.Line"/> is the 1-based row number. A damaged
/// file is one <see cref="LetterDataException"/> naming the file and what is wrong: the frame
/// (magic bytes, footer length) is checked before Parquet.Net reads it, since a footer length of
/// 2^31 - 1 would otherwise be allocated, and any failure of Parquet.Net on bad bytes (Thrift errors,
/// impossible sizes) is reported as damage rather than escaping as an internal error.
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
        catch (UnauthorizedAccessException)
        {
            throw new LetterDataException(path, null, "permission denied");
        }
        try
        {
            CheckFrame(path, _stream);
            _reader = ParquetReader.CreateAsync(_stream).GetAwaiter().GetResult();
            _fields = _reader.Schema.GetDataFields();
        }
        catch (Exception e) when (e is not LetterDataException)
        {
            _stream.Dispose();
            throw new LetterDataException(path, null, $"not a readable Parquet file (damaged footer or schema): {Describe(e)}");
        }
        catch
        {
            _stream.Dispose();
            throw;
        }
        ColumnNames = _fields.Select(f => f.Name).ToArray();
    }

    public override IReadOnlyList<string>? ColumnNames { get; }

    public override bool ReplacesInvalidBytes => true;

    public override int Column(string name, string listSeparator = ", ")
    {
        int field = Array.FindIndex(_fields, f => f.Name == name);
        if (field < 0) return -1;
        if (_fields[field].IsArray)
            throw new LetterDataException(File, $"column {Quoted.Quote(name)}", "list columns are not supported; store the text as one string");
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
            using var group = OpenGroup(_group);
            if (group.RowCount is < 0 or > int.MaxValue)
                throw new LetterDataException(File, $"row group {_group}", $"damaged: it claims {group.RowCount} rows");
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
                _ => throw new LetterDataException(File, $"column {Quoted.Quote(field.Name)}", $"unsupported column type {type.Name}"),
            };
        }
        catch (Exception e) when (e is not LetterDataException)
        {
            throw new LetterDataException(File, $"row group {_group}, column {Quoted.Quote(field.Name)}", $"damaged, cannot be read: {Describe(e)}");
        }
    }

    private ParquetRowGroupReader OpenGroup(int index)
    {
        try
        {
            return _reader.OpenRowGroupReader(index);
        }
        catch (Exception e) when (e is not LetterDataException)
        {
            throw new LetterDataException(File, $"row group {index}", $"damaged, cannot be read: {Describe(e)}");
        }
    }

    /// <summary>
    /// The file's frame: "PAR1" at both ends and a footer length that fits between them. Parquet.Net
    /// allocates the footer length it reads before it looks at the footer.
    /// </summary>
    private static void CheckFrame(string path, FileStream stream)
    {
        long length = stream.Length;
        Span<byte> head = stackalloc byte[4], tail = stackalloc byte[8];
        if (length < 12) throw new LetterDataException(path, null, $"not a Parquet file: {length} bytes, fewer than a Parquet frame's 12");
        stream.ReadExactly(head);
        stream.Position = length - 8;
        stream.ReadExactly(tail);
        stream.Position = 0;
        if (!head.SequenceEqual("PAR1"u8))
            throw new LetterDataException(path, null, $"not a Parquet file: it starts with {Quoted.Quote(head)}, not \"PAR1\"");
        if (!tail[4..].SequenceEqual("PAR1"u8))
            throw new LetterDataException(path, null, $"truncated or damaged Parquet file: it ends with {Quoted.Quote(tail[4..])}, not \"PAR1\" (offset {length - 4})");
        long footer = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(tail);
        if (footer == 0 || footer > length - 12)
            throw new LetterDataException(path, null, $"damaged Parquet file: its footer length {footer} (at offset {length - 8}) does not fit in the file's {length} bytes");
    }

    /// <summary>What went wrong inside Parquet.Net, escaped: its messages can quote the file's bytes.</summary>
    private static string Describe(Exception e) => e switch
    {
        OutOfMemoryException => "a size in the file is far larger than the file (damaged metadata)",
        _ => $"{e.GetType().Name}: {Quoted.Escape(e.Message, 200)}",
    };

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
