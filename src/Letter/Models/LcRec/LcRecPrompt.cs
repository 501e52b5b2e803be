using Letter.Data;

namespace Letter.Models.LcRec;

/// <summary>
/// LC-Rec's sequential-recommendation prompt (RUCAIBox/LC-Rec prompt.py: the Alpaca-style sft_prompt
/// around seqrec instruction 0, the one its tests decode with): the history's identifiers, each its
/// code tokens written together, joined by ", " (data.py his_sep), then the response, the target's
/// identifier, then end-of-sequence.
/// </summary>
public static class LcRecPrompt
{
    public const string HistorySeparator = ", ";

    private const string Template = "Below is an instruction that describes a task. Write a response that appropriately completes the request." +
                                    "\n\n### Instruction:\n{0}\n\n### Response:";

    private const string Instruction = "The user has interacted with items {0} in chronological order. Can you predict the next possible item that the user may expect?";

    /// <summary>An item's identifier as text: its tokens without separators (<c>&lt;a_1&gt;&lt;b_2&gt;&lt;c_3&gt;&lt;d_4&gt;</c>).</summary>
    public static string Identifier(ItemIndex index, int item) => string.Concat(index.Tokens(item));

    /// <summary>The prompt of a history (oldest first), up to and including "### Response:".</summary>
    public static string Format(ItemIndex index, ReadOnlySpan<int> history)
    {
        var items = new string[history.Length];
        for (int i = 0; i < history.Length; i++) items[i] = Identifier(index, history[i]);
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, Template,
            string.Format(System.Globalization.CultureInfo.InvariantCulture, Instruction, string.Join(HistorySeparator, items)));
    }
}
