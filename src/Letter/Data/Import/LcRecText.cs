using System.Net;
using System.Text.RegularExpressions;

namespace Letter.Data.Import;

/// <summary>
/// The text cleaning of LC-Rec's (and so LETTER's) Amazon 2018 preprocessing, reimplemented from
/// its description: HTML entities decoded, tags removed, double quotes and line breaks removed,
/// surrounding space trimmed, and the text made to end with exactly one period (an empty text
/// becomes "."; "." becomes ".." as in LC-Rec). A list (the description paragraphs) is cleaned element by element and joined by
/// a space before the period rule. Categories: the list up to the first element holding
/// <c>&lt;/span&gt;</c>, each trimmed, joined by a comma. Brand: "by\n" removed, trimmed.
/// </summary>
internal static partial class LcRecText
{
    /// <summary>The separator list columns are read with, so that the cleaning sees the elements.</summary>
    public const string ListSeparator = "\u0001";

    // LC-Rec trims a single text before cleaning it and each list element after: kept exactly so.
    public static string Text(string value) => Period(Clean(value.Trim()));

    public static string List(string joined) =>
        Period(string.Join(' ', Elements(joined).Select(e => Clean(e).Trim())));

    public static string Categories(string joined) =>
        string.Join(',', Elements(joined).TakeWhile(e => !e.Contains("</span>", StringComparison.Ordinal)).Select(e => e.Trim())).Trim();

    public static string Brand(string value) => value.Replace("by\n", "", StringComparison.Ordinal).Trim();

    private static string[] Elements(string joined) => joined.Length == 0 ? [] : joined.Split(ListSeparator);

    private static string Clean(string raw) => QuotesAndBreaks().Replace(Tag().Replace(WebUtility.HtmlDecode(raw), ""), "");

    private static string Period(string s)
    {
        int end = s.Length;
        while (end > 0 && s[end - 1] == '.') end--;
        // LC-Rec's loop stops one short of the first character, so a text of only periods keeps its first
        if (end == 0 && s.Length > 0) end = 1;
        return s[..end] + ".";
    }

    [GeneratedRegex(@"</?\w+[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex("[\"\n\r]+")]
    private static partial Regex QuotesAndBreaks();
}
