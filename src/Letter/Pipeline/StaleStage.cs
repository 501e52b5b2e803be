using System.Globalization;

namespace Letter.Pipeline;

/// <summary>
/// A stage folder that must be redone is renamed, never deleted: it may hold hours of training, and
/// a setting changed by mistake must not cost them. The caller says where it went; deleting it is
/// the user's decision.
/// </summary>
public static class StaleStage
{
    /// <summary>Renames <paramref name="stageDirectory"/> to <c>NAME.replaced-yyyyMMdd-HHmmss</c> beside it (with a suffix if taken) and returns the new path.</summary>
    public static string MoveAside(string stageDirectory, DateTime utcNow)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(stageDirectory));
        var stamp = utcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var target = $"{full}.replaced-{stamp}";
        for (int n = 2; Directory.Exists(target) || File.Exists(target); n++) target = $"{full}.replaced-{stamp}-{n}";
        Directory.Move(full, target);
        return target;
    }
}
