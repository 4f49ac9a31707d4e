using System.Net.Sockets;
using Npgsql;
using Sluice.Core.Sources;

namespace Sluice.Sources.Postgres;

/// <summary>
/// Every message the postgres source shows, in one place: each names the source and says what to do, and none
/// repeats the connection's password (the server's own texts are scrubbed of it too).
/// </summary>
internal sealed class PostgresErrors
{
    private readonly string _source;
    private readonly string? _password;

    public PostgresErrors(string source, string? password)
    {
        _source = source;
        // Too short a password would blank out ordinary words; Npgsql never prints it anyway, this is a second guard.
        _password = password is { Length: >= 4 } ? password : null;
    }

    public SourceException BadConnection(string reason) => new(
        $"Source '{_source}': its connection could not be read: {reason}. Write a connection string such as "
        + "Host=db.example.com;Port=5432;Database=crm;Username=sluice;Password=... or a URL such as "
        + "postgres://sluice:PASSWORD@db.example.com:5432/crm (in the variable the source's connection: names).");

    /// <summary>A failure to connect or to run <paramref name="sql"/>, as a message users can act on.</summary>
    public SourceException Explain(Exception e, string where, string? sql)
    {
        var message = e switch
        {
            PostgresException p => Server(p, where, sql),
            NpgsqlException { InnerException: TimeoutException } or TimeoutException =>
                $"PostgreSQL at {where} did not answer in time. Check the host and port in the source's connection, that the server is up and that "
                + "a firewall lets this machine in (raise the wait with connect_timeout= / Timeout= if the server is slow to answer).",
            NpgsqlException { InnerException: SocketException s } => Socket(s, where),
            NpgsqlException { InnerException: IOException or EndOfStreamException } =>
                $"the connection to PostgreSQL at {where} broke: {FirstLine(e.Message)}. Run again once the server is reachable.",
            NpgsqlException { InnerException: System.Security.Authentication.AuthenticationException a } =>
                $"the TLS handshake with PostgreSQL at {where} failed: {FirstLine(a.Message)}. Check sslmode / SSL Mode and the certificates in the connection.",
            NpgsqlException n when n.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
                $"PostgreSQL at {where} asks for a password and the connection gives none: {FirstLine(n.Message)}. Add the password to the connection.",
            InvalidCastException or OverflowException =>
                $"a value could not be read: {FirstLine(e.Message)}. Cast the column in the model's SQL (e.g. value::text or value::float8).",
            _ => $"cannot read from PostgreSQL at {where}: {FirstLine(e.Message)}",
        };
        return new SourceException($"Source '{_source}': {Scrub(message)}", e);
    }

    /// <summary>A column whose value does not fit its kind's .NET type (a numeric beyond decimal, an infinite date...).</summary>
    public SourceException Unreadable(string column, string type, Exception e) => new(Scrub(
        $"Source '{_source}': a value of column '{column}' ({type}) cannot be read as its Sluice kind: {FirstLine(e.Message)}. "
        + $"Cast it in the model's SQL (e.g. {Quote(column)}::text, or ::float8 for a numeric beyond 28 digits)."), e);

    public SourceException NoColumns() => new(
        $"Source '{_source}': the model's SQL returns no columns. Write a query that returns rows (select ... from ...).");

    public SourceException SeveralStatements() => new(
        $"Source '{_source}': the model's SQL holds more than one statement (separated by ;). A model is one query: keep the select that returns its rows.");

    private string Server(PostgresException p, string where, string? sql)
    {
        var text = FirstLine(p.MessageText);
        var hint = string.IsNullOrEmpty(p.Hint) ? "" : $" ({FirstLine(p.Hint).TrimEnd('.')})";
        return p.SqlState switch
        {
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                $"PostgreSQL at {where} refused the login: {text}. Check the user and password in the source's connection, and that pg_hba.conf lets this user in from this machine.",
            PostgresErrorCodes.InvalidCatalogName =>
                $"PostgreSQL at {where} has no such database: {text}. Check the database name in the source's connection.",
            PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown =>
                $"PostgreSQL at {where} ended the connection: {text}. Run again once the server is back; nothing was half-read into the ledger.",
            PostgresErrorCodes.QueryCanceled =>
                $"PostgreSQL at {where} cancelled the model's query: {text}. Check the server's statement_timeout for this user, or run again.",
            PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow =>
                $"PostgreSQL at {where} does not accept a connection now: {text}. Try again later.",
            PostgresErrorCodes.UndefinedTable =>
                $"{text}{At(p, sql)}. Check the model's table: or SQL (schema-qualified, e.g. public.customers) and that the connection's user can see it.",
            PostgresErrorCodes.InsufficientPrivilege =>
                $"{text}{At(p, sql)}. Grant the connection's user SELECT on what the model reads.",
            _ => $"the model's SQL failed: {text}{hint}{At(p, sql)}. Fix the model's sql: in sluice.yaml.",
        };
    }

    /// <summary>PostgreSQL's error position (a 1-based character offset in the statement) as line and column of the model's SQL.</summary>
    internal static string At(PostgresException p, string? sql)
    {
        if (sql is null || p.Position <= 0 || p.Position > sql.Length + 1)
            return "";
        var (line, column, text) = LineAndColumn(sql, p.Position - 1);
        return $" (at line {line}, column {column} of the model's SQL: {text})";
    }

    internal static (int Line, int Column, string Text) LineAndColumn(string sql, int offset)
    {
        var line = 1;
        var start = 0;
        for (var i = 0; i < offset && i < sql.Length; i++)
        {
            if (sql[i] == '\n')
            {
                line++;
                start = i + 1;
            }
        }

        var end = sql.IndexOf('\n', start);
        var text = (end < 0 ? sql[start..] : sql[start..end]).TrimEnd('\r').Trim();
        if (text.Length > 80)
            text = text[..77] + "...";
        return (line, offset - start + 1, text);
    }

    private static string Socket(SocketException s, string where) => s.SocketErrorCode switch
    {
        SocketError.ConnectionRefused =>
            $"PostgreSQL at {where} refused the connection (nothing listens there). Check the host and port in the source's connection and that the server is running and accepts TCP connections.",
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain =>
            $"the host of {where} is not known (DNS). Check the host name in the source's connection.",
        SocketError.TimedOut =>
            $"PostgreSQL at {where} did not answer in time. Check the host and port in the source's connection and that a firewall lets this machine in.",
        _ => $"cannot reach PostgreSQL at {where}: {FirstLine(s.Message)}. Check the host and port in the source's connection.",
    };

    private string Scrub(string message) => _password is null ? message : message.Replace(_password, "***", StringComparison.Ordinal);

    private static string Quote(string column) => $"\"{column.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim().TrimEnd('.');
}
