using Letter.Reporting;

namespace Letter.Tests.Pipeline;

public class ReportDocumentTests
{
    [Fact]
    public void Write_MarkdownLinksImages_HtmlEmbedsThem()
    {
        using var dir = new TempDir();
        var png = Charts.CodeUsage("level 1", [5, 0, 3, 1]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
        var doc = new ReportDocument("Run <x>")
            .Add(new ReportDocument.Heading("Metrics"))
            .Add(new ReportDocument.Table(["model", "R@10"], [["LETTER | TIGER", "0.1"]]))
            .Add(new ReportDocument.Image("usage-1.png", "code usage", png));
        var (md, html) = doc.Write(dir.Path);

        var markdown = File.ReadAllText(md);
        Assert.Contains("| LETTER \\| TIGER | 0.1 |", markdown);
        Assert.Contains("![code usage](report-assets/usage-1.png)", markdown);
        Assert.Equal(png, File.ReadAllBytes(Path.Combine(dir.Path, "report-assets", "usage-1.png")));

        var page = File.ReadAllText(html);
        Assert.Contains("<title>Run &lt;x&gt;</title>", page);
        Assert.Contains("src=\"data:image/png;base64," + Convert.ToBase64String(png) + "\"", page);
        Assert.DoesNotContain("report-assets", page);
    }

    [Fact]
    public void Lines_RendersAPng()
    {
        var png = Charts.Lines("loss", "epoch", "loss", [new Series("train", [1, 2, 3], [3, 2, 1.5])]);
        Assert.True(png.Length > 1000);
        Assert.Equal((byte)'P', png[1]);
    }
}
