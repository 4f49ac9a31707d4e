using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>Writes answers with Salesforce's content type and shapes; no shared DTOs, just a JSON writer.</summary>
internal static class JsonOut
{
    public const string ContentType = "application/json;charset=UTF-8";

    public static async Task WriteAsync(HttpContext context, int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
            write(writer);
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        context.Response.ContentLength = buffer.WrittenCount;
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }

    /// <summary>The REST error array: <c>[{"message","errorCode","fields"?}]</c> (404 NOT_FOUND as recorded: errorCode first).</summary>
    public static Task ErrorAsync(HttpContext context, ApiError error) =>
        WriteAsync(context, error.Status, w =>
        {
            w.WriteStartArray();
            WriteApiError(w, error);
            w.WriteEndArray();
        });

    public static void WriteApiError(Utf8JsonWriter w, ApiError error)
    {
        w.WriteStartObject();
        if (error.ErrorCode == "NOT_FOUND")
        {
            w.WriteString("errorCode", error.ErrorCode);
            w.WriteString("message", error.Message);
        }
        else
        {
            w.WriteString("message", error.Message);
            w.WriteString("errorCode", error.ErrorCode);
        }
        if (error.Fields is { } fields)
            WriteStrings(w, "fields", fields);
        w.WriteEndObject();
    }

    /// <summary>Per-record errors of a single-record call, in the request-level shape (errorCode, not statusCode).</summary>
    public static Task RecordErrorsAsync(HttpContext context, int status, IReadOnlyList<RecordError> errors) =>
        WriteAsync(context, status, w =>
        {
            w.WriteStartArray();
            foreach (var e in errors)
                WriteApiError(w, new ApiError(status, e.StatusCode, e.Message, e.Fields));
            w.WriteEndArray();
        });

    public static void WriteRecordError(Utf8JsonWriter w, RecordError error)
    {
        w.WriteStartObject();
        w.WriteString("statusCode", error.StatusCode);
        w.WriteString("message", error.Message);
        WriteStrings(w, "fields", error.Fields);
        w.WriteEndObject();
    }

    /// <summary>SaveResult / UpsertResult of a collection item; a failed item carries no <c>id</c> key.</summary>
    public static void WriteSaveResult(Utf8JsonWriter w, WriteOp op, bool withCreated)
    {
        w.WriteStartObject();
        if (!op.Failed && op.ResultId is not null)
            w.WriteString("id", op.ResultId);
        w.WriteBoolean("success", !op.Failed);
        w.WritePropertyName("errors");
        w.WriteStartArray();
        foreach (var e in op.Errors)
            WriteRecordError(w, e);
        w.WriteEndArray();
        if (withCreated && !op.Failed)
            w.WriteBoolean("created", op.Created);
        w.WriteEndObject();
    }

    public static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WritePropertyName(name);
        w.WriteStartArray();
        foreach (var v in values)
            w.WriteStringValue(v);
        w.WriteEndArray();
    }

    public static void WriteValue(Utf8JsonWriter w, object? value)
    {
        switch (value)
        {
            case null:
                w.WriteNullValue();
                break;
            case string s:
                w.WriteStringValue(s);
                break;
            case bool b:
                w.WriteBooleanValue(b);
                break;
            case long l:
                w.WriteNumberValue(l);
                break;
            case double d:
                w.WriteNumberValue(d);
                break;
            default:
                w.WriteStringValue(value.ToString());
                break;
        }
    }

    /// <summary>A record with <c>attributes {type,url}</c>, then the given fields (null when unset).</summary>
    public static void WriteRecord(Utf8JsonWriter w, SRecord record, string version, IEnumerable<string> fields)
    {
        w.WriteStartObject();
        w.WritePropertyName("attributes");
        w.WriteStartObject();
        w.WriteString("type", record.Type);
        w.WriteString("url", $"/services/data/v{version}/sobjects/{record.Type}/{record.Id}");
        w.WriteEndObject();
        var values = record.Values;
        foreach (var field in fields)
        {
            w.WritePropertyName(field);
            WriteValue(w, values.GetValueOrDefault(field));
        }
        w.WriteEndObject();
    }
}
