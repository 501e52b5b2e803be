namespace Letter.Cli;

/// <summary>A bad option value or combination found after parsing; printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
