using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// Reads a stream line by line as UTF-8 bytes without allocating per line: a line is a span into
/// the buffer, valid until the next call. Handles \n and \r\n and a leading byte-order mark.
/// </summary>
internal sealed class LineReader(InputStream input)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _start, _end;
    private bool _eof, _first = true;

    /// <summary>The 1-based number of the line last returned.</summary>
    public long LineNumber { get; private set; }

    public InputStream Input => input;

    public bool TryRead(out ReadOnlySpan<byte> line)
    {
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
            Fill();
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
            throw new LetterDataException(input.Path, $"line {LineNumber + 1}", $"corrupt gzip data: {e.Message}");
        }
        if (n == 0) _eof = true;
        _end += n;
    }
}
