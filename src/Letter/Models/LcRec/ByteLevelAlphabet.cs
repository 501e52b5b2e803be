namespace Letter.Models.LcRec;

/// <summary>
/// GPT-2's byte-level alphabet: every byte as one printable character (printable Latin-1 bytes as
/// themselves, the others as U+0100 onwards in byte order), so byte-level BPE never meets an unknown
/// character. "Ġ" is the space byte, "Ċ" the newline.
/// </summary>
public static class ByteLevelAlphabet
{
    private static readonly char[] ToChar = Build();
    private static readonly Dictionary<char, byte> ToByte = Enumerable.Range(0, 256).ToDictionary(b => ToChar[b], b => (byte)b);

    private static char[] Build()
    {
        var map = new char[256];
        int extra = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)(256 + extra++);
        }
        return map;
    }

    /// <summary>The text's UTF-8 bytes, one alphabet character each.</summary>
    public static string Encode(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Appends a token's bytes: each character's byte, or the token's own UTF-8 bytes when one of its
    /// characters is outside the alphabet (an added token such as "&lt;think&gt;" stays as written).
    /// </summary>
    public static void Decode(string token, List<byte> output)
    {
        int start = output.Count;
        foreach (var c in token)
        {
            if (!ToByte.TryGetValue(c, out var b))
            {
                output.RemoveRange(start, output.Count - start);
                output.AddRange(System.Text.Encoding.UTF8.GetBytes(token));
                return;
            }
            output.Add(b);
        }
    }
}
