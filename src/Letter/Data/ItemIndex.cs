using System.Text;

namespace Letter.Data;

/// <summary>
/// Item identifiers: item i has the code tuple <c>Codes[i]</c> (one code per level). Serialised in the
/// LETTER format as tokens <c>"&lt;a_12&gt;"</c>, where the letter names the level.
/// </summary>
public sealed class ItemIndex
{
    public ItemIndex(int[][] codes, string? levelPrefixes = null)
    {
        if (codes.Length == 0) throw new ArgumentException("an index needs at least one item");
        Levels = codes[0].Length;
        if (Levels == 0) throw new ArgumentException("identifiers need at least one code");
        foreach (var c in codes)
            if (c.Length != Levels) throw new ArgumentException("all identifiers must have the same length");
        LevelPrefixes = levelPrefixes ?? DefaultPrefixes(Levels);
        if (LevelPrefixes.Length != Levels) throw new ArgumentException("one prefix letter per level is needed");
        Codes = codes;
    }

    public int[][] Codes { get; }
    public int Levels { get; }
    public int ItemCount => Codes.Length;

    /// <summary>One letter per level, <c>"abcd"</c> by default.</summary>
    public string LevelPrefixes { get; }

    public static string DefaultPrefixes(int levels) =>
        levels <= 26 ? new string(Enumerable.Range(0, levels).Select(l => (char)('a' + l)).ToArray())
                     : throw new ArgumentException("at most 26 levels");

    public string Token(int level, int code) => $"<{LevelPrefixes[level]}_{code}>";

    public string[] Tokens(int item) => Enumerable.Range(0, Levels).Select(l => Token(l, Codes[item][l])).ToArray();

    /// <summary>Codes per level: one more than the largest code used at that level.</summary>
    public int[] CodebookSizes() =>
        Enumerable.Range(0, Levels).Select(l => Codes.Max(c => c[l]) + 1).ToArray();

    public string ToJson()
    {
        var sb = new StringBuilder(Codes.Length * 48);
        sb.Append('{');
        for (int i = 0; i < Codes.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append('"').Append(i).Append("\": [");
            for (int l = 0; l < Levels; l++)
            {
                if (l > 0) sb.Append(", ");
                sb.Append('"').Append(Token(l, Codes[i][l])).Append('"');
            }
            sb.Append(']');
        }
        sb.Append('}');
        return sb.ToString();
    }

    public void Save(string path) => IO.AtomicFile.WriteAllText(path, ToJson());
}
