namespace Letter.Data;

/// <summary>The text fields of one item from <c>NAME.item.json</c>; absent fields are null.</summary>
public sealed record ItemText(string? Title, string? Description, string? Categories, string? Brand)
{
    public static readonly string[] DefaultFields = ["title", "description", "categories", "brand"];

    public string? Field(string name) => name switch
    {
        "title" => Title,
        "description" => Description,
        "categories" => Categories,
        "brand" => Brand,
        _ => throw new ArgumentException($"unknown item field '{name}' (known: {string.Join(", ", DefaultFields)})"),
    };

    /// <summary>The fields that exist and are not blank, in the given order, joined by single spaces.</summary>
    public string Compose(IReadOnlyList<string>? fields = null)
    {
        var parts = (fields ?? DefaultFields).Select(Field).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim());
        return string.Join(' ', parts);
    }
}
