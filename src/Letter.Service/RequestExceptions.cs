namespace Letter.Service;

/// <summary>A refusal that becomes a problem-details response naming the field and the value.</summary>
public class RequestException(int status, string field, string? value, string detail) : Exception(detail)
{
    public int Status { get; } = status;
    public string Field { get; } = field;
    public string? Value { get; } = value;
}

public sealed class BadRequestException(string field, string? value, string detail) : RequestException(400, field, value, detail);

public sealed class ConflictException(string field, string? value, string detail) : RequestException(409, field, value, detail);

public sealed class ServiceUnavailableException(string detail) : Exception(detail);
