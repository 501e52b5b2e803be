using Letter.IO;

namespace Letter.Data;

/// <summary>
/// A dataset folder loaded and validated: user sequences, the item count, and the item text and
/// identifiers when their files exist. The item count comes from item.json, else index.json, else
/// the largest item id + 1; every other file must agree with it.
/// </summary>
public sealed class LetterDataset
{
    private LetterDataset(DatasetFolder folder, List<UserSequence> users, int itemCount, ItemText[]? items, ItemIndex? index)
    {
        Folder = folder;
        Users = users;
        ItemCount = itemCount;
        Items = items;
        Index = index;
    }

    public DatasetFolder Folder { get; }
    public string Name => Folder.Name;
    public IReadOnlyList<UserSequence> Users { get; }
    public int ItemCount { get; }
    public ItemText[]? Items { get; }
    public ItemIndex? Index { get; }

    public long InteractionCount => Users.Sum(u => (long)u.Items.Length);

    public static LetterDataset Load(string directory, bool loadIndex = true) => Load(DatasetFolder.Find(directory), loadIndex);

    public static LetterDataset Load(DatasetFolder folder, bool loadIndex = true)
    {
        var users = InteractionsReader.Read(folder.InterFile);
        var items = folder.HasItemText ? ItemTextReader.Read(folder.ItemFile) : null;
        var index = loadIndex && folder.HasIndex ? ItemIndexReader.Read(folder.IndexFile) : null;

        int itemCount;
        string source;
        if (items is not null)
        {
            (itemCount, source) = (items.Length, Path.GetFileName(folder.ItemFile));
            if (index is not null && index.ItemCount != itemCount)
                throw new LetterDataException(folder.IndexFile, null,
                    $"has identifiers for {index.ItemCount} items, {source} has {itemCount} items");
        }
        else if (index is not null)
        {
            (itemCount, source) = (index.ItemCount, Path.GetFileName(folder.IndexFile));
        }
        else
        {
            (itemCount, source) = (users.Max(u => u.Items.Length == 0 ? -1 : u.Items.Max()) + 1, "the largest item id");
        }
        InteractionsReader.RequireInRange(folder.InterFile, users, itemCount, source);
        return new LetterDataset(folder, users, itemCount, items, index);
    }

    /// <summary>Item titles for display, or "item N" when the dataset has no text.</summary>
    public string Title(int item) => Items?[item].Title is { Length: > 0 } t ? t : $"item {item}";
}
