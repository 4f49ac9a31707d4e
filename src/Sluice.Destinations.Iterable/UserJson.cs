using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sluice.Destinations.Iterable;

/// <summary>
/// Serializes users as <c>{"email"|"userId": id, "dataFields": {...}}</c> back to back into one buffer, so that
/// bulk bodies (and single-update bodies) are assembled by copying bytes, without serializing a user twice.
/// </summary>
internal sealed class UserJson
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Bodies go to an API, never into HTML: keep non-ASCII text unescaped (smaller bodies).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    private static readonly JsonEncodedText DataFieldsName = JsonEncodedText.Encode("dataFields");

    private readonly ArrayBufferWriter<byte> _buffer;
    private readonly Utf8JsonWriter _writer;

    public UserJson(int initialCapacity)
    {
        _buffer = new ArrayBufferWriter<byte>(Math.Max(256, initialCapacity));
        _writer = new Utf8JsonWriter(_buffer, WriterOptions);
    }

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.WrittenMemory;

    public int Length => _buffer.WrittenCount;

    /// <summary>
    /// Appends one user. Returns false (and writes nothing) when a value cannot be written as JSON; then
    /// <paramref name="badField"/> is the index of the field at fault.
    /// </summary>
    public bool TryAppend(JsonEncodedText idName, string id, JsonEncodedText[] fieldNames, object?[] values, bool[]? jsonFields, out int badField)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is double d && !double.IsFinite(d) || values[i] is float f && !float.IsFinite(f))
            {
                badField = i;
                return false;
            }
        }

        var w = _writer;
        w.Reset(_buffer);
        w.WriteStartObject();
        w.WriteString(idName, id);
        w.WritePropertyName(DataFieldsName);
        w.WriteStartObject();
        var count = Math.Min(fieldNames.Length, values.Length);
        for (var i = 0; i < count; i++)
        {
            w.WritePropertyName(fieldNames[i]);
            if (jsonFields is not null && i < jsonFields.Length && jsonFields[i] && values[i] is string text)
                WriteJson(w, text);
            else
                WriteValue(w, values[i]);
        }
        w.WriteEndObject();
        w.WriteEndObject();
        w.Flush();
        badField = -1;
        return true;
    }

    // JSON text as the value it spells; text that is not JSON (a JSON column may hold anything) stays a string.
    private static void WriteJson(Utf8JsonWriter w, string text)
    {
        try
        {
            w.WriteRawValue(text, skipInputValidation: false);
        }
        catch (JsonException)
        {
            w.WriteStringValue(text);
        }
    }

    /// <summary>Writes one model value in Iterable's terms (DESIGN: .NET types by ValueKind).</summary>
    internal static void WriteValue(Utf8JsonWriter w, object? value)
    {
        Span<byte> scratch = stackalloc byte[64];
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case int i:
                w.WriteNumberValue(i);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case double d:
                WriteFractional(w, d, scratch);
                break;
            case decimal m:
                WriteFractional(w, m, scratch);
                break;
            case float f:
                WriteFractional(w, (double)f, scratch);
                break;
            case DateOnly date:
                date.TryFormat(scratch, out var n, "yyyy-MM-dd", CultureInfo.InvariantCulture);
                w.WriteStringValue(scratch[..n]);
                break;
            case DateTime dt:
                WriteTimestamp(w, dt.Kind switch
                {
                    DateTimeKind.Local => dt.ToUniversalTime(),
                    _ => DateTime.SpecifyKind(dt, DateTimeKind.Utc), // sources hand UTC; Unspecified is read as UTC
                }, scratch);
                break;
            case DateTimeOffset dto:
                WriteTimestamp(w, dto.UtcDateTime, scratch);
                break;
            case TimeOnly time:
                time.TryFormat(scratch, out var t, "HH:mm:ss", CultureInfo.InvariantCulture);
                w.WriteStringValue(scratch[..t]);
                break;
            case short or byte or sbyte or ushort or uint:
                w.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong ul:
                w.WriteNumberValue(ul);
                break;
            case IFormattable formattable:
                w.WriteStringValue(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            default:
                w.WriteStringValue(value.ToString());
                break;
        }
    }

    // Iterable's date format (the one it uses for its own dates): "2024-05-06 07:08:09 +00:00".
    private static void WriteTimestamp(Utf8JsonWriter w, DateTime utc, Span<byte> scratch)
    {
        utc.TryFormat(scratch, out var n, "yyyy-MM-dd HH:mm:ss '+00:00'", CultureInfo.InvariantCulture);
        w.WriteStringValue(scratch[..n]);
    }

    // Decimal and float columns always go out with a fraction ("4.0", not "4"): Iterable types a new field by its
    // first value, and an integral first value would make it a long field that later fractions can't enter.
    private static void WriteFractional(Utf8JsonWriter w, double d, Span<byte> scratch)
    {
        d.TryFormat(scratch, out var n, "R", CultureInfo.InvariantCulture);
        WriteRawNumber(w, scratch, n);
    }

    private static void WriteFractional(Utf8JsonWriter w, decimal m, Span<byte> scratch)
    {
        m.TryFormat(scratch, out var n, default, CultureInfo.InvariantCulture);
        WriteRawNumber(w, scratch, n);
    }

    private static void WriteRawNumber(Utf8JsonWriter w, Span<byte> scratch, int length)
    {
        if (scratch[..length].IndexOfAny((byte)'.', (byte)'E', (byte)'e') < 0)
        {
            scratch[length++] = (byte)'.';
            scratch[length++] = (byte)'0';
        }
        w.WriteRawValue(scratch[..length], skipInputValidation: true);
    }

    /// <summary>Starts a new batch, keeping the buffer's capacity.</summary>
    public void Clear() => _buffer.ResetWrittenCount();
}
