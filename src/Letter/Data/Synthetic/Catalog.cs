namespace Letter.Data.Synthetic;

/// <summary>The fixed vocabulary of the synthetic catalogue: department > category > product type, brands and attributes.</summary>
internal static class Catalog
{
    public sealed record Department(string Name, Category[] Categories, string[] Brands);

    public sealed record Category(string Name, string[] Types);

    public static readonly Department[] Departments =
    [
        new("Musical Instruments",
            [new("Guitars", ["Acoustic Guitar", "Electric Guitar", "Guitar Strings"]),
             new("Keyboards", ["Digital Piano", "MIDI Controller", "Keyboard Stand"]),
             new("Drums", ["Snare Drum", "Drum Sticks", "Cymbal"]),
             new("Studio", ["Condenser Microphone", "Audio Interface", "Studio Monitor"])],
            ["Harmonia", "Fretwell", "Keystone", "Tempo Works", "Sonora", "Bravura"]),
        new("Outdoors",
            [new("Camping", ["Dome Tent", "Sleeping Bag", "Camp Stove"]),
             new("Cycling", ["Bike Helmet", "Bike Light", "Saddle Bag"]),
             new("Fishing", ["Spinning Reel", "Fishing Rod", "Tackle Box"]),
             new("Climbing", ["Climbing Rope", "Harness", "Chalk Bag"])],
            ["Trailhead", "Northpeak", "Riverbend", "Summit Co", "Wildgear", "Sonora"]),
        new("Kitchen",
            [new("Cookware", ["Frying Pan", "Stock Pot", "Dutch Oven"]),
             new("Baking", ["Baking Sheet", "Stand Mixer", "Rolling Pin"]),
             new("Coffee", ["Pour Over Dripper", "Burr Grinder", "Milk Frother"]),
             new("Knives", ["Chef Knife", "Knife Sharpener", "Cutting Board"])],
            ["Copperleaf", "Hearth & Co", "Brewmaster", "Saltgrain", "Ovenly", "Bravura"]),
        new("Office",
            [new("Paper", ["Notebook", "Sticky Notes", "Printer Paper"]),
             new("Writing", ["Fountain Pen", "Gel Pen", "Mechanical Pencil"]),
             new("Desk", ["Desk Lamp", "Monitor Stand", "Desk Organizer"]),
             new("Storage", ["File Cabinet", "Binder", "Archive Box"])],
            ["Inkwell", "Paperline", "Deskwise", "Ledger", "Quillon", "Keystone"]),
        new("Garden",
            [new("Tools", ["Pruning Shears", "Garden Trowel", "Hedge Trimmer"]),
             new("Seeds", ["Tomato Seeds", "Herb Seed Kit", "Wildflower Seeds"]),
             new("Watering", ["Garden Hose", "Watering Can", "Sprinkler"]),
             new("Planters", ["Ceramic Planter", "Raised Bed", "Hanging Basket"])],
            ["Greenthumb", "Rootstock", "Bloomfield", "Terrace", "Wildgear", "Riverbend"]),
        new("Electronics",
            [new("Audio", ["Wireless Earbuds", "Bluetooth Speaker", "Headphone Amp"]),
             new("Cables", ["USB-C Cable", "HDMI Cable", "Power Strip"]),
             new("Computer Storage", ["External SSD", "USB Flash Drive", "Memory Card"]),
             new("Cameras", ["Action Camera", "Camera Tripod", "Lens Filter"])],
            ["Voltix", "Pixelon", "Sonora", "Datacore", "Lumina", "Northpeak"]),
    ];

    public static readonly string[] Adjectives =
        ["Classic", "Premium", "Lightweight", "Heavy-Duty", "Vintage", "Portable", "Deluxe", "Essential", "Compact", "Pro"];

    public static readonly string[] Colors =
        ["Black", "White", "Red", "Blue", "Green", "Silver", "Walnut", "Orange", "Gray", "Teal"];

    public static readonly string[] Materials =
        ["steel", "aluminium", "bamboo", "recycled plastic", "cotton", "carbon fibre", "ceramic", "oak"];

    public static readonly string[] Uses =
        ["everyday use", "beginners", "professionals", "travel", "small spaces", "gifts", "long sessions", "weekend projects"];
}
