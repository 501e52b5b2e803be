using System.Net;
using System.Text;
using Letter.IO;

namespace Letter.Reporting;

/// <summary>A report as a list of blocks, rendered to Markdown (images beside it) and to one self-contained HTML file.</summary>
public sealed class ReportDocument(string title)
{
    public abstract record Block;

    public sealed record Heading(string Text) : Block;

    public sealed record Paragraph(string Text) : Block;

    public sealed record Code(string Text) : Block;

    public sealed record Table(string[] Header, IReadOnlyList<string[]> Rows) : Block;

    /// <summary>A PNG image; <paramref name="FileName"/> is where the Markdown rendering stores it.</summary>
    public sealed record Image(string FileName, string Caption, byte[] Png) : Block;

    public string Title { get; } = title;

    public List<Block> Blocks { get; } = [];

    public ReportDocument Add(Block block)
    {
        Blocks.Add(block);
        return this;
    }

    /// <summary>Writes <c>report.md</c> with its images in <c>report-assets/</c>, and <c>report.html</c> with images embedded.</summary>
    public (string Markdown, string Html) Write(string directory)
    {
        var assets = Path.Combine(directory, "report-assets");
        foreach (var image in Blocks.OfType<Image>())
            AtomicFile.WriteAllBytes(Path.Combine(assets, image.FileName), image.Png);
        var md = Path.Combine(directory, "report.md");
        var html = Path.Combine(directory, "report.html");
        AtomicFile.WriteAllText(md, RenderMarkdown("report-assets"));
        AtomicFile.WriteAllText(html, RenderHtml());
        return (md, html);
    }

    public string RenderMarkdown(string assetFolder)
    {
        var sb = new StringBuilder();
        sb.Append("# ").AppendLine(Title).AppendLine();
        foreach (var block in Blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append("## ").AppendLine(h.Text); break;
                case Paragraph p: sb.AppendLine(p.Text); break;
                case Code c: sb.AppendLine("```").AppendLine(c.Text.TrimEnd()).AppendLine("```"); break;
                case Table t:
                    sb.Append("| ").AppendJoin(" | ", t.Header.Select(EscapeCell)).AppendLine(" |");
                    sb.Append('|').AppendJoin("", t.Header.Select(_ => " --- |")).AppendLine();
                    foreach (var row in t.Rows) sb.Append("| ").AppendJoin(" | ", row.Select(EscapeCell)).AppendLine(" |");
                    break;
                case Image i: sb.Append("![").Append(i.Caption).Append("](").Append(assetFolder).Append('/').Append(i.FileName).AppendLine(")"); break;
            }
            sb.AppendLine();
        }
        return sb.ToString();
    }

    public string RenderHtml()
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<title>").Append(E(Title)).AppendLine("</title>");
        sb.AppendLine("<style>body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}" +
                      "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}" +
                      "th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}pre{background:#f6f6f6;padding:.8em;overflow:auto}" +
                      "img{max-width:100%;border:1px solid #eee}figure{margin:1em 0}figcaption{color:#666;font-size:.9em}</style>");
        sb.AppendLine("</head><body>");
        sb.Append("<h1>").Append(E(Title)).AppendLine("</h1>");
        foreach (var block in Blocks)
        {
            switch (block)
            {
                case Heading h: sb.Append("<h2>").Append(E(h.Text)).AppendLine("</h2>"); break;
                case Paragraph p: sb.Append("<p>").Append(E(p.Text)).AppendLine("</p>"); break;
                case Code c: sb.Append("<pre>").Append(E(c.Text.TrimEnd())).AppendLine("</pre>"); break;
                case Table t:
                    sb.Append("<table><tr>");
                    foreach (var h in t.Header) sb.Append("<th>").Append(E(h)).Append("</th>");
                    sb.AppendLine("</tr>");
                    foreach (var row in t.Rows)
                    {
                        sb.Append("<tr>");
                        foreach (var cell in row) sb.Append("<td>").Append(E(cell)).Append("</td>");
                        sb.AppendLine("</tr>");
                    }
                    sb.AppendLine("</table>");
                    break;
                case Image i:
                    sb.Append("<figure><img alt=\"").Append(E(i.Caption)).Append("\" src=\"data:image/png;base64,")
                      .Append(Convert.ToBase64String(i.Png)).Append("\"><figcaption>").Append(E(i.Caption)).AppendLine("</figcaption></figure>");
                    break;
            }
        }
        sb.AppendLine("</body></html>");
        return sb.ToString();
    }

    private static string EscapeCell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
