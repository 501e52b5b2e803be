using System.Globalization;
using System.Text;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Records of a delimited text file (CSV, TSV, RecBole's tab-separated atomic files, MovieLens'
/// <c>::</c> and <c>|</c> files). With <c>quotes</c>, a field may be wrapped in double quotes, with
/// <c>""</c> for a quote inside and separators and line breaks allowed within (RFC 4180); unquoted
/// fields are trimmed of surrounding spaces. Without a header, columns are named by position from 1.
/// Text is UTF-8 (bytes that are not stay recognisable, <see cref="Utf8Text"/>); with
/// <c>latin1Fallback</c> a line that is not valid UTF-8 is read as Latin-1 (older MovieLens files).
/// A line longer than <see cref="LineReader.MaxLineBytes"/> is a bad row; a quoted field still open
/// at the end of the file, or open over more than that many bytes, is an error naming the line where
/// it opens: every line after an unclosed quote would otherwise vanish into one field.
/// </summary>
internal sealed class DelimitedRecords : RecordReader
{
    private readonly InputStream _input;
    private readonly LineReader _lines;
    private readonly string _separator;
    private readonly bool _quotes;
    private readonly bool _latin1Fallback;
    private readonly string[]? _header;
    private char[] _record = new char[1024];
    private int _recordLength;
    private readonly List<(int Start, int Length, bool Quoted)> _spans = [];
    private bool _pending, _tooLong;

    /// <param name="typedHeader">RecBole's header names carry a type after a colon (<c>user_id:token</c>); the type is dropped.</param>
    public DelimitedRecords(string path, string separator, bool header, bool quotes, bool latin1Fallback = false,
        IProgress<ImportProgress>? progress = null, bool typedHeader = false) : base(path, progress)
    {
        if (separator.Length == 0) throw new LetterConfigException("the field separator is empty");
        _input = InputStream.Open(path);
        _lines = new LineReader(_input);
        _separator = separator;
        _quotes = quotes;
        _latin1Fallback = latin1Fallback;
        if (header)
        {
            try
            {
                if (!ReadRecord()) throw new LetterDataException(path, null, "the file is empty (expected a header line)");
                if (_tooLong) throw new LetterDataException(path, "line 1", $"the header line is longer than {LineReader.MaxLineBytes >> 20} MiB");
            }
            catch
            {
                _input.Dispose();
                throw;
            }
            _header = _spans.Select(Text).Select(n => typedHeader && n.IndexOf(':') is var c and > 0 ? n[..c] : n).ToArray();
        }
    }

    public override IReadOnlyList<string>? ColumnNames => _header;

    public override string ColumnHint => _header is null ? "this file has no header, so columns are named by position from 1" : base.ColumnHint;

    /// <summary>The number of fields of the header, or of the first record when there is none.</summary>
    public int Width => _header?.Length ?? _spans.Count;

    public override int Column(string name, string listSeparator = ", ")
    {
        if (_header is not null) return Array.IndexOf(_header, name);
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var position) && position >= 1) return position - 1;
        return -1;
    }

    protected override (long Bytes, long Total) Position => (_input.Position, _input.Length);

    protected override bool ReadNext(BadRows bad)
    {
        while (ReadRecord())
        {
            if (_tooLong)
            {
                bad.Add(File, Line, $"the line is longer than {LineReader.MaxLineBytes >> 20} MiB");
                continue;
            }
            if (_recordLength == 0) continue;  // blank lines separate nothing
            Fields.Reset(_spans.Count);
            for (int i = 0; i < _spans.Count; i++) SetField(i, _spans[i]);
            return true;
        }
        return false;
    }

    private void SetField(int column, (int Start, int Length, bool Quoted) s)
    {
        var raw = new ReadOnlySpan<char>(_record, s.Start, s.Length);
        if (!s.Quoted)
        {
            Fields.Set(column, raw.Trim(' '));
            return;
        }
        var dest = Fields.Reserve(raw.Length);
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            dest[n++] = raw[i];
            if (raw[i] == '"' && i + 1 < raw.Length && raw[i + 1] == '"') i++;
        }
        Fields.Commit(column, n, "");
    }

    private string Text((int Start, int Length, bool Quoted) s)
    {
        var raw = new string(_record, s.Start, s.Length);
        return s.Quoted ? raw.Replace("\"\"", "\"", StringComparison.Ordinal) : raw.Trim(' ');
    }

    /// <summary>Reads one record (joining lines while a quoted field is open) and splits it into <see cref="_spans"/>.</summary>
    private bool ReadRecord()
    {
        _recordLength = 0;
        _pending = _tooLong = false;
        long first = 0;
        while (_lines.TryRead(out var line))
        {
            if (!_pending) first = _lines.LineNumber;
            if (_lines.LineTooLong || _recordLength + line.Length > LineReader.MaxLineBytes)
            {
                if (_pending)
                    throw new LetterDataException(File, $"line {first}",
                        $"a quoted field that opens here is still open after {LineReader.MaxLineBytes >> 20} MiB (a quote that is never closed?)");
                _tooLong = true;
                break;
            }
            if (_pending) Append("\n");
            Append(line);
            if (Split())
            {
                _pending = false;
                break;
            }
            _pending = true;
        }
        if (_pending && !_tooLong)
            throw new LetterDataException(File, $"line {first}",
                "the file ends inside a quoted field that opens here (a quote that is never closed, or a cut file)");
        Line = first;
        return first > 0;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        // a UTF-8 char never takes fewer bytes than chars, nor does a Latin-1 one
        if (_recordLength + bytes.Length > _record.Length) Array.Resize(ref _record, Math.Max(_record.Length * 2, _recordLength + bytes.Length));
        _recordLength += _latin1Fallback && !System.Text.Unicode.Utf8.IsValid(bytes)
            ? Encoding.Latin1.GetChars(bytes, _record.AsSpan(_recordLength))
            : Utf8Text.GetChars(bytes, _record.AsSpan(_recordLength));
    }

    private void Append(string s)
    {
        if (_recordLength + s.Length > _record.Length) Array.Resize(ref _record, _record.Length * 2 + s.Length);
        s.CopyTo(_record.AsSpan(_recordLength));
        _recordLength += s.Length;
    }

    /// <summary>Splits the record; false when it ends inside a quoted field (another line follows).</summary>
    private bool Split()
    {
        _spans.Clear();
        var text = _record.AsSpan(0, _recordLength);
        int pos = 0;
        while (true)
        {
            int start = pos;
            while (_quotes && start < text.Length && text[start] == ' ') start++;
            if (_quotes && start < text.Length && text[start] == '"')
            {
                int i = start + 1;
                while (true)
                {
                    int q = text[i..].IndexOf('"');
                    if (q < 0) return false;
                    i += q;
                    if (i + 1 < text.Length && text[i + 1] == '"') { i += 2; continue; }
                    break;
                }
                _spans.Add((start + 1, i - start - 1, true));
                // anything between the closing quote and the next separator is ignored
                int sep = text[(i + 1)..].IndexOf(_separator);
                if (sep < 0) return true;
                pos = i + 1 + sep + _separator.Length;
            }
            else
            {
                int sep = text[pos..].IndexOf(_separator);
                if (sep < 0)
                {
                    _spans.Add((pos, text.Length - pos, false));
                    return true;
                }
                _spans.Add((pos, sep, false));
                pos += sep + _separator.Length;
            }
        }
    }

    public override void Dispose() => _input.Dispose();
}
