using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Reads a stream line by line as UTF-8 bytes without allocating per line: a line is a span into
/// the buffer, valid until the next call. Handles \n and \r\n and a leading byte-order mark. A line
/// longer than <see cref="MaxLineBytes"/> is not kept: it is skipped to its end and returned empty
/// with <see cref="LineTooLong"/> set, so a file without line breaks cannot take all memory. Text
/// in UTF-16 or UTF-32 (a byte-order mark, or NUL bytes where UTF-8 text has none) is refused at
/// once rather than read as rows of NULs.
/// </summary>
internal sealed class LineReader(InputStream input)
{
    /// <summary>The longest line kept: far beyond any record of the formats read (the largest Amazon metadata lines are a few hundred KiB).</summary>
    public const int MaxLineBytes = 64 << 20;

    private byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _first = true, _sniffed;

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    /// <summary>The line last returned was longer than <see cref="MaxLineBytes"/> and was skipped (it is returned empty).</summary>
    public bool LineTooLong { get; private set; }

    public InputStream Input => input;

    public bool TryRead(out ReadOnlySpan<byte> line)
    {
        LineTooLong = false;
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0 || (_eof && _end > _start))
            {
                int stop = nl >= 0 ? nl : _end;
                int len = stop - _start;
                if (len > 0 && _buffer[_start + len - 1] == '\r') len--;
                line = new ReadOnlySpan<byte>(_buffer, _start, len);
                _start = nl >= 0 ? nl + 1 : _end;
                LineNumber++;
                if (_first)
                {
                    _first = false;
                    if (line.StartsWith("\uFEFF"u8)) line = line[3..];
                }
                return true;
            }
            if (_eof)
            {
                line = default;
                return false;
            }
            if (_end - _start >= MaxLineBytes)
            {
                SkipRestOfLine();
                LineNumber++;
                _first = false;
                LineTooLong = true;
                line = default;
                return true;
            }
            Fill();
        }
    }

    private void SkipRestOfLine()
    {
        while (true)
        {
            _start = _end = 0;
            Fill();
            int nl = Array.IndexOf(_buffer, (byte)'\n', 0, _end);
            if (nl >= 0)
            {
                _start = nl + 1;
                return;
            }
            if (_eof) return;
        }
    }

    private void Fill()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }
        if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
        int n;
        try
        {
            n = input.Stream.Read(_buffer, _end, _buffer.Length - _end);
        }
        catch (InvalidDataException e)
        {
            throw new LetterDataException(input.Path, $"line {LineNumber + 1}", $"corrupt gzip data: {Quoted.Escape(e.Message, 200)}");
        }
        if (n == 0) _eof = true;
        _end += n;
        if (!_sniffed && (_end >= 4 || _eof))
        {
            _sniffed = true;
            Sniff(_buffer.AsSpan(0, _end));
        }
    }

    private void Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]) || head.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF])
            || head.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
            throw new LetterDataException(input.Path, null,
                $"is UTF-16 or UTF-32 text (it starts with the byte-order mark {Quoted.Quote(head[..2])}); Letter reads UTF-8: convert it first (iconv -f UTF-16 -t UTF-8)");
        int nul = head.IndexOf((byte)0);
        if (nul >= 0)
            throw new LetterDataException(input.Path, null,
                $"holds a NUL byte at offset {nul} of its text (UTF-16 or UTF-32 text without a byte-order mark, or not a text file); Letter reads UTF-8 text");
    }
}
