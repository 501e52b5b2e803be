using System.Globalization;

namespace Letter.Training;

/// <summary>Reads the text of a kind's option (<see cref="KindOption"/>) as a number, or says which option was wrong.</summary>
public static class KindOptionValues
{
    public static double Double(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"{name} must be a number (got '{text}')");

    public static int Int(string name, string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
            : throw new ArgumentException($"{name} must be a whole number (got '{text}')");
}
