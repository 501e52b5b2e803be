using System.CommandLine;
using System.Text.Json;
using Letter.Pipeline;

namespace Letter.Cli;

/// <summary>
/// One command-line flag per leaf setting of a config record (<c>--tokenizer.epochs 50</c>), so every
/// config value can also be given as a flag; flags override the config file.
/// </summary>
public sealed class ConfigOptions<T> where T : notnull
{
    private readonly List<(SettingInfo Setting, Option<string> Option)> _options = [];

    public ConfigOptions(Command command, T defaults)
    {
        foreach (var setting in ConfigJson.Settings(typeof(T), defaults))
        {
            var option = new Option<string>("--" + setting.Path)
            {
                Description = $"{ConfigJson.Describe(setting.Type)} [default: {FormatDefault(setting.Default)}]",
                HelpName = "value",
            };
            command.Options.Add(option);
            _options.Add((setting, option));
        }
    }

    public List<KeyValuePair<string, string>> Overrides(ParseResult parse)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var (setting, option) in _options)
            if (parse.GetValue(option) is { } text) list.Add(new(setting.Path, text));
        return list;
    }

    private static string FormatDefault(object? value) => value switch
    {
        null => "none",
        string s => s,
        System.Collections.IEnumerable e => string.Join(',', e.Cast<object>()),
        bool b => b ? "true" : "false",
        _ => JsonSerializer.Serialize(value, ConfigJson.Options).Trim('"'),
    };
}
