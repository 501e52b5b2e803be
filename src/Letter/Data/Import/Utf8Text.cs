using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Letter.IO;

namespace Letter.Data.Import;

/// <summary>
/// UTF-8 decoding that keeps bytes which are not UTF-8 recognisable instead of turning them all
/// into U+FFFD: each such byte becomes the lone surrogate U+DC80 + (byte - 0x80), as Python's
/// <c>surrogateescape</c> does. Two ids that differ only in those bytes (<c>\xffA</c>, <c>\xfeA</c>)
/// so stay different until the check where ids enter (<see cref="IsText"/>) refuses them, naming
/// the bytes; valid text decodes exactly as before and as fast.
/// </summary>
internal static class Utf8Text
{
    /// <summary>
    /// Decodes UTF-8 into <paramref name="chars"/> (at least as long as <paramref name="bytes"/>),
    /// each byte of an invalid sequence as U+DC80..U+DCFF; returns the number of chars written.
    /// .NET's decoder fallbacks may not emit lone surrogates, so invalid sequences are handled here,
    /// between runs that the vectorised transcoder decodes.
    /// </summary>
    public static int GetChars(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        int written = 0;
        while (true)
        {
            var status = Utf8.ToUtf16(bytes, chars[written..], out int read, out int n, replaceInvalidSequences: false);
            written += n;
            if (status == OperationStatus.Done) return written;
            if (status != OperationStatus.InvalidData) throw new ArgumentException("the destination is shorter than the source", nameof(chars));
            bytes = bytes[read..];
            Rune.DecodeFromUtf8(bytes, out _, out int invalid);
            for (int k = 0; k < Math.Max(1, invalid); k++) chars[written++] = (char)(0xDC00 + bytes[k]);
            bytes = bytes[Math.Max(1, invalid)..];
        }
    }

    /// <summary>Whether the chars are well-formed text: no lone surrogate, so no byte that was not UTF-8 either.</summary>
    public static bool IsText(ReadOnlySpan<char> s)
    {
        int i = s.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0) return true;
        for (; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            return false;
        }
        return true;
    }

    /// <summary>Text for a message: escaped bytes shown as the <c>\xNN</c> they were, everything else as <see cref="Quoted"/> shows it.</summary>
    public static string Show(ReadOnlySpan<char> s, int max = Quoted.DefaultMax)
    {
        var bytes = new List<byte>(Math.Min(s.Length, max) * 3 + 4);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < s.Length && bytes.Count <= max * 4; i++)
        {
            char c = s[i];
            if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                int n = new Rune(c, s[++i]).EncodeToUtf8(utf8);
                for (int k = 0; k < n; k++) bytes.Add(utf8[k]);
            }
            else if (c is >= '\uDC80' and <= '\uDCFF') bytes.Add((byte)(c - 0xDC00));
            else if (char.IsSurrogate(c))
            {
                // any other lone surrogate: its 3-byte form, which is not UTF-8 and so shows as \xNN
                bytes.Add((byte)(0xE0 | c >> 12));
                bytes.Add((byte)(0x80 | (c >> 6 & 0x3F)));
                bytes.Add((byte)(0x80 | (c & 0x3F)));
            }
            else
            {
                int n = new Rune(c).EncodeToUtf8(utf8);
                for (int k = 0; k < n; k++) bytes.Add(utf8[k]);
            }
        }
        return Quoted.Quote(bytes.ToArray().AsSpan(), max);
    }

    /// <summary>Text with every lone surrogate (a byte that was not UTF-8) replaced by U+FFFD, for item text, where nothing is looked up.</summary>
    public static string Replace(string s)
    {
        if (IsText(s)) return s;
        var chars = s.ToCharArray();
        for (int i = 0; i < chars.Length; i++)
        {
            if (!char.IsSurrogate(chars[i])) continue;
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) { i++; continue; }
            chars[i] = '\uFFFD';
        }
        return new string(chars);
    }
}
