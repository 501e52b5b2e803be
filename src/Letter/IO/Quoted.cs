using System.Buffers;
using System.Globalization;
using System.Text;

namespace Letter.IO;

/// <summary>
/// Input text made safe to show in a message: what a file holds is quoted as it is, but nothing it
/// holds reaches a terminal or a log raw. Printable text stays as written; control characters
/// (C0, DEL, C1: ESC, BEL, NUL, CSI...) become <c>\xNN</c>; invisible format and separator
/// characters (bidi overrides, zero-width marks, U+2028/U+2029) and lone surrogates become
/// <c>\uXXXX</c> (<c>\UXXXXXXXX</c> above the BMP); bytes that are not UTF-8 become <c>\xNN</c>; a
/// backslash is doubled, so every escape is unambiguous. Long values are cut with a marker saying
/// how much was left out.
/// </summary>
public static class Quoted
{
    /// <summary>The default cut: enough to recognise a value, short enough for one message line.</summary>
    public const int DefaultMax = 80;

    /// <summary><paramref name="text"/> escaped, cut after <paramref name="maxChars"/> UTF-16 characters of the original.</summary>
    public static string Escape(string? text, int maxChars = DefaultMax) => Escape((text ?? "").AsSpan(), maxChars);

    /// <inheritdoc cref="Escape(string?, int)"/>
    public static string Escape(ReadOnlySpan<char> text, int maxChars = DefaultMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxChars);
        var sb = new StringBuilder(Math.Min(text.Length, maxChars) + 8);
        int i = 0;
        while (i < text.Length)
        {
            if (i >= maxChars) return Cut(sb, text.Length - i, "chars");
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                // A pair is never split by the cut: it is kept whole or left out whole.
                if (i + 1 >= maxChars) return Cut(sb, text.Length - i, "chars");
                Append(sb, new Rune(c, text[i + 1]));
                i += 2;
                continue;
            }
            if (char.IsSurrogate(c)) sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else Append(sb, new Rune(c));
            i++;
        }
        return sb.ToString();
    }

    /// <summary>
    /// Bytes read as UTF-8 and escaped: well-formed characters as <see cref="Escape(string?, int)"/>
    /// shows them, every byte that is not part of one as <c>\xNN</c>; cut after
    /// <paramref name="maxBytes"/> bytes of the original.
    /// </summary>
    public static string Escape(ReadOnlySpan<byte> bytes, int maxBytes = DefaultMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        var sb = new StringBuilder(Math.Min(bytes.Length, maxBytes) + 8);
        int i = 0;
        while (i < bytes.Length)
        {
            if (i >= maxBytes) return Cut(sb, bytes.Length - i, "bytes");
            var status = Rune.DecodeFromUtf8(bytes[i..], out var rune, out int used);
            if (status == OperationStatus.Done)
            {
                if (i + used > maxBytes) return Cut(sb, bytes.Length - i, "bytes");
                Append(sb, rune);
                i += used;
                continue;
            }
            // Invalid or cut-off sequence: the bytes Rune could not decode, each shown as itself.
            for (int k = 0; k < used; k++) sb.Append(CultureInfo.InvariantCulture, $"\\x{bytes[i + k]:x2}");
            i += used;
        }
        return sb.ToString();
    }

    /// <summary><see cref="Escape(string?, int)"/> between double quotes, with a double quote inside shown as <c>\"</c>.</summary>
    public static string Quote(string? text, int maxChars = DefaultMax) => Quote((text ?? "").AsSpan(), maxChars);

    /// <inheritdoc cref="Quote(string?, int)"/>
    public static string Quote(ReadOnlySpan<char> text, int maxChars = DefaultMax) =>
        "\"" + Escape(text, maxChars).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    /// <summary><see cref="Escape(ReadOnlySpan{byte}, int)"/> between double quotes, with a double quote inside shown as <c>\"</c>.</summary>
    public static string Quote(ReadOnlySpan<byte> bytes, int maxBytes = DefaultMax) =>
        "\"" + Escape(bytes, maxBytes).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static void Append(StringBuilder sb, Rune rune)
    {
        if (rune.Value == '\\')
        {
            sb.Append(@"\\");
            return;
        }
        if (rune.Value < 0x100 && IsControl(rune.Value))
        {
            sb.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
            return;
        }
        if (IsInvisible(rune))
        {
            if (rune.IsBmp) sb.Append(CultureInfo.InvariantCulture, $"\\u{rune.Value:x4}");
            else sb.Append(CultureInfo.InvariantCulture, $"\\U{rune.Value:x8}");
            return;
        }
        Span<char> buffer = stackalloc char[2];
        sb.Append(buffer[..rune.EncodeToUtf16(buffer)]);
    }

    // C0 controls, DEL and the C1 controls (0x9B is a one-byte CSI to some terminals).
    private static bool IsControl(int c) => c < 0x20 || c is >= 0x7F and <= 0x9F;

    // Characters that change how the rest of a line is shown (bidi overrides, zero-width marks, line
    // and paragraph separators) or that cannot be shown at all.
    private static bool IsInvisible(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
        or UnicodeCategory.Control or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse;

    private static string Cut(StringBuilder sb, long left, string unit) =>
        sb.Append(CultureInfo.InvariantCulture, $"...(+{left} {unit})").ToString();
}
