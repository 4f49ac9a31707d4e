namespace Sluice.Emulators.Actito;

/// <summary>An initial profile table of the emulator (name, attributes, subscriptions).</summary>
public sealed class ActitoTableDefinition
{
    /// <summary>Technical name of the table, e.g. <c>Profiles</c>.</summary>
    public string Name { get; set; } = "";

    /// <summary>Attributes besides the technical ones (profileId, creationMoment, updateMoment are added for you).</summary>
    public IList<ActitoAttributeDefinition> Attributes { get; set; } = [];

    /// <summary>Subscription names (e-mail/SMS consents per table). Default one, <c>Newsletter</c>.</summary>
    public IList<string> Subscriptions { get; set; } = ["Newsletter"];

    /// <summary>
    /// The default demo table <c>Profiles</c>: emailAddress (unique), firstName, lastName, customerId (CUSTOM STRING,
    /// unique), birthDate, motherLanguage, gsmNumber; one subscription <c>Newsletter</c>. Nothing is mandatory.
    /// </summary>
    public static ActitoTableDefinition DefaultProfiles() => new()
    {
        Name = "Profiles",
        Attributes =
        [
            new() { Name = "emailAddress", Type = "EMAIL_ADDRESS", Unique = true },
            new() { Name = "firstName", Type = "FIRSTNAME" },
            new() { Name = "lastName", Type = "LASTNAME" },
            new() { Name = "customerId", Type = "CUSTOM", ValueType = "STRING", Unique = true, MaxLength = 255 },
            new() { Name = "birthDate", Type = "BIRTHDATE" },
            new() { Name = "motherLanguage", Type = "MOTHER_LANGUAGE" },
            new() { Name = "gsmNumber", Type = "GSM_NUMBER" },
        ],
    };

    internal IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(Name)) yield return "A table has no Name.";
        foreach (var attribute in Attributes)
        {
            var error = AttributeRules.CheckDefinition(attribute.ToSpec());
            if (error is not null) yield return $"Table {Name}: {error}";
        }
    }
}

/// <summary>One attribute (column) of a profile table, in the terms of Actito's v5 table structure.</summary>
public sealed class ActitoAttributeDefinition
{
    /// <summary>Technical name (at most 50 characters).</summary>
    public string Name { get; set; } = "";

    /// <summary>
    /// <c>CUSTOM</c> (default) or a predefined kind: EMAIL_ADDRESS, FIRSTNAME, LASTNAME, BIRTHDATE, SEX,
    /// MOTHER_LANGUAGE, GSM_NUMBER / PHONE_NUMBER, ADDRESS_COUNTRY, TITLE...
    /// </summary>
    public string Type { get; set; } = "CUSTOM";

    /// <summary>For CUSTOM attributes: STRING (default), INTEGER, DECIMAL/NUMBER, BOOLEAN, DATE or TIMESTAMP.</summary>
    public string? ValueType { get; set; }

    /// <summary>Values must be unique across profiles; unique attributes are the matching keys. Default false.</summary>
    public bool Unique { get; set; }

    /// <summary>A value is required when a profile is created. Default false.</summary>
    public bool Mandatory { get; set; }

    /// <summary>Maximum length of STRING values; null means the Actito default of 255.</summary>
    public int? MaxLength { get; set; }

    internal AttributeSpec ToSpec() => new(Name, Type.ToUpperInvariant(),
        Type.Equals("CUSTOM", StringComparison.OrdinalIgnoreCase) ? (ValueType ?? "STRING").ToUpperInvariant() : null,
        Unique, Mandatory, false, MaxLength, null);
}
