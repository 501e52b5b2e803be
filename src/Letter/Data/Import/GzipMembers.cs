using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// The decompressed bytes of a gzip file, complete or an error. .NET's <see cref="GZipStream"/>
/// checks a member's CRC-32 but ends quietly where the file is cut, where the trailer is missing
/// and at bytes after the last member (issue 39: a cut <c>.json.gz</c> imported half its rows with
/// exit 0). Here every member (RFC 1952) is read to its end: the header is parsed, the deflate data
/// inflated by <see cref="DeflateStream"/>, and the 8-byte trailer must follow with the CRC-32 and
/// length of what was inflated. Members follow one another as gzip(1) reads them; anything else
/// after the last one, a cut header, cut data or a wrong trailer is a <see cref="LetterDataException"/>
/// naming the file and the offset.
/// </summary>
internal sealed class GzipMembers : ForwardOnlyStream
{
    // gzip(1) writes a file name; a name or comment this long is damage, and would otherwise be read whole
    private const int MaxHeaderText = 1 << 20;
    private readonly string _path;
    private readonly Window _window;
    private readonly Crc32 _crc = new();
    private DeflateStream? _deflate;
    private long _memberStart, _memberLength;
    private bool _done;

    public GzipMembers(Stream file, string path)
    {
        _path = path;
        _window = new Window(file);
    }

    public override int Read(Span<byte> buffer)
    {
        while (!_done && buffer.Length > 0)
        {
            if (_deflate is null && !StartMember())
            {
                _done = true;
                break;
            }
            int n;
            try
            {
                n = _deflate!.Read(buffer);
            }
            catch (InvalidDataException)
            {
                throw Error($"corrupt compressed data in the gzip member that starts at offset {_memberStart} (damaged file)");
            }
            if (n > 0)
            {
                _crc.Append(buffer[..n]);
                _memberLength += n;
                return n;
            }
            EndMember();
        }
        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <summary>Parses a member header at the window's position; false at the end of the file after a complete member.</summary>
    private bool StartMember()
    {
        long at = _window.Offset;
        if (!_window.Has(1)) return false;
        if (!_window.Has(2) || _window.Peek(0) != 0x1f || _window.Peek(1) != 0x8b)
            throw at == 0
                ? Error("is not gzip data")
                : Error($"unexpected bytes at offset {at}, after the end of the gzip data (not another gzip member): {Quoted.Quote(_window.Available(16), 16)}");
        if (!_window.Has(10)) throw Truncated(at, "inside a gzip header");
        if (_window.Peek(2) != 8) throw Error($"the gzip member at offset {at} uses compression method {_window.Peek(2)}, not deflate (8)");
        byte flags = _window.Peek(3);
        if ((flags & 0xE0) != 0) throw Error($"the gzip header at offset {at} has reserved flag bits set (damaged file)");
        int length = 10;
        if ((flags & 0x04) != 0)  // FEXTRA: a 2-byte length and that many bytes
        {
            if (!_window.Has(length + 2)) throw Truncated(at, "inside a gzip header");
            length += 2 + (_window.Peek(length) | _window.Peek(length + 1) << 8);
        }
        if ((flags & 0x08) != 0) length = ZeroTerminated(at, length);   // FNAME
        if ((flags & 0x10) != 0) length = ZeroTerminated(at, length);   // FCOMMENT
        if ((flags & 0x02) != 0) length += 2;                            // FHCRC
        if (!_window.Has(length)) throw Truncated(at, "inside a gzip header");
        _window.Skip(length);
        _memberStart = at;
        _memberLength = 0;
        _crc.Reset();
        _window.StartMember();
        _deflate = new DeflateStream(_window, CompressionMode.Decompress, leaveOpen: true);
        return true;
    }

    private int ZeroTerminated(long at, int from)
    {
        for (int i = from; ; i++)
        {
            if (!_window.Has(i + 1)) throw Truncated(at, "inside a gzip header");
            if (_window.Peek(i) == 0) return i + 1;
            if (i - from > MaxHeaderText) throw Error($"the gzip header at offset {at} holds a name or comment longer than {MaxHeaderText} bytes (damaged file)");
        }
    }

    /// <summary>
    /// The deflate data has ended (or the file has): its end lies inside the last block of input the
    /// inflater took, which .NET does not say. The trailer is where that block holds the CRC-32 and
    /// length just computed; a false match inside compressed data has odds of 2^-64 per byte.
    /// </summary>
    private void EndMember()
    {
        _deflate!.Dispose();
        _deflate = null;
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, _crc.GetCurrentHashAsUInt32());
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], unchecked((uint)_memberLength));
        if (_window.FindTrailer(trailer)) return;
        if (_window.Starved)
            throw Truncated(_memberStart, "inside the compressed data of the gzip member that starts there");
        throw Error($"the gzip member that starts at offset {_memberStart} has no valid 8-byte trailer after its data " +
                    "(CRC-32 and length of the data): the file is truncated or damaged");
    }

    private LetterDataException Truncated(long at, string where) =>
        Error($"truncated: the file ends at offset {_window.FileLength} {where} (at offset {at})");

    private LetterDataException Error(string problem) => new(_path, null, problem);


    protected override void Dispose(bool disposing)
    {
        if (disposing) _deflate?.Dispose();
        base.Dispose(disposing);
    }

    /// <summary>
    /// The compressed file through one buffer, which keeps the last block handed to the inflater so
    /// the bytes it took past the end of a member (the trailer, the next member) can be read again.
    /// </summary>
    private sealed class Window(Stream file) : ForwardOnlyStream
    {
        private byte[] _buffer = new byte[1 << 16];
        private int _pos, _end, _lastStart;
        private long _bufferOffset;
        private bool _eof;

        /// <summary>The file offset of the next byte to read.</summary>
        public long Offset => _bufferOffset + _pos;

        /// <summary>The inflater asked for input at the end of the file.</summary>
        public bool Starved { get; private set; }

        /// <summary>How long the file is, as far as it has been read (all of it once a read came back empty).</summary>
        public long FileLength => _bufferOffset + _end;

        public void StartMember()
        {
            _lastStart = _pos;
            Starved = false;
        }

        public bool Has(int count)
        {
            while (_end - _pos < count && !_eof) Fill(keepFrom: _pos);
            return _end - _pos >= count;
        }

        public byte Peek(int i) => _buffer[_pos + i];

        public ReadOnlySpan<byte> Available(int max)
        {
            Has(max);
            return _buffer.AsSpan(_pos, Math.Min(max, _end - _pos));
        }

        public void Skip(int count) => _pos += count;

        public bool FindTrailer(ReadOnlySpan<byte> trailer)
        {
            // the data's end lies in [_lastStart, _pos]; the trailer may reach 8 bytes past _pos
            while (_end - _pos < trailer.Length && !_eof) Fill(keepFrom: _lastStart);
            for (int i = _lastStart; i <= _pos && i + trailer.Length <= _end; i++)
            {
                if (_buffer.AsSpan(i, trailer.Length).SequenceEqual(trailer))
                {
                    _pos = i + trailer.Length;
                    return true;
                }
            }
            return false;
        }

        public override int Read(Span<byte> destination)
        {
            if (_pos == _end)
            {
                if (!_eof) Fill(keepFrom: _pos);
                if (_pos == _end)
                {
                    Starved = true;
                    return 0;
                }
            }
            int n = Math.Min(destination.Length, _end - _pos);
            _buffer.AsSpan(_pos, n).CopyTo(destination);
            _lastStart = _pos;
            _pos += n;
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        /// <summary>Reads more of the file, keeping the bytes from <paramref name="keepFrom"/> on.</summary>
        private void Fill(int keepFrom)
        {
            int shift = Math.Min(keepFrom, _lastStart);
            if (shift > 0)
            {
                Buffer.BlockCopy(_buffer, shift, _buffer, 0, _end - shift);
                _end -= shift;
                _pos -= shift;
                _lastStart -= shift;
                _bufferOffset += shift;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            int n = file.Read(_buffer, _end, _buffer.Length - _end);
            if (n == 0) _eof = true;
            _end += n;
        }

    }
}
