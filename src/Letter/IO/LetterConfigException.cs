namespace Letter.IO;

/// <summary>A bad setting (option or config value). The CLI prints the message as one line and exits with code 2.</summary>
public sealed class LetterConfigException(string message) : Exception(message);
