namespace Sluice.Core.Destinations;

/// <summary>The type of a destination or source option in <c>sluice.yaml</c>.</summary>
public enum OptionType
{
    String,
    Secret,
    Url,
    Integer,
    Number,
    Boolean,
    Choice,
}

/// <summary>
/// One option a destination (or source) accepts, declared once: validation, documentation and
/// redaction all read this declaration. Secret options are never printed.
/// </summary>
public sealed record OptionSpec(
    string Name,
    OptionType Type,
    string Description,
    bool Required = false,
    string? Default = null,
    IReadOnlyList<string>? Choices = null)
{
    public bool IsSecret => Type == OptionType.Secret;
}
