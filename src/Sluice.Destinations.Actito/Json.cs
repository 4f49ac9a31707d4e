using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sluice.Destinations.Actito;

/// <summary>Tolerant readers for Actito's JSON, whose exact shapes are partly undocumented.</summary>
internal static class Json
{
    public static string? String(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) ? AsString(value) : null;

    public static bool Bool(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.String => bool.TryParse(value.GetString(), out var b) && b,
            _ => false,
        };

    /// <summary>A scalar as text: strings as is, numbers in their JSON form, booleans lower case.</summary>
    public static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    /// <summary>Reads one top-level property of a JSON object body, or null when the body is not such an object.</summary>
    public static string? TopLevel(byte[] body, string property)
    {
        if (body.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            return String(document.RootElement, property);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The profile id in a create/update/get answer: <c>{"profileId":7}</c>, or a <c>profileId</c> (or <c>id</c>)
    /// attribute in a profile body.
    /// </summary>
    public static string? ProfileId(byte[] body)
    {
        if (body.Length == 0) return null;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            if (String(root, "profileId") is { } direct) return direct;
            if (root.TryGetProperty("attributes", out var attributes) && attributes.ValueKind == JsonValueKind.Array)
            {
                string? legacy = null;
                foreach (var a in attributes.EnumerateArray())
                {
                    var name = String(a, "name");
                    if (name == "profileId") return String(a, "value");
                    if (name == "id") legacy = String(a, "value");
                }
                if (legacy is not null) return legacy;
            }
            return String(root, "id");
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// A reason and code from an error body. Actito documents no error schema, so common keys are tried and the
    /// HTTP status stands in for a missing code.
    /// </summary>
    public static (string Reason, string Code) Error(int status, byte[] body)
    {
        string? message = null, code = null;
        if (body.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0) root = root[0];
                if (root.ValueKind == JsonValueKind.Object)
                {
                    message = String(root, "message") ?? String(root, "errorMessage") ?? String(root, "description")
                        ?? String(root, "detail") ?? String(root, "error_description") ?? String(root, "error") ?? String(root, "title");
                    code = String(root, "errorCode") ?? String(root, "code");
                    if (message is null && root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                        && errors.GetArrayLength() > 0)
                    {
                        var first = errors[0];
                        message = first.ValueKind == JsonValueKind.String ? first.GetString() : String(first, "message");
                        code ??= String(first, "code");
                    }
                }
            }
            catch (JsonException)
            {
                message = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 300)).Trim();
            }
        }
        message = string.IsNullOrWhiteSpace(message) ? $"Actito answered HTTP {status}" : message;
        if (message.Length > 500) message = message[..500];
        return (message, code ?? status.ToString(CultureInfo.InvariantCulture));
    }
}
