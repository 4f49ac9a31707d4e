using System.Net.Sockets;
using Npgsql;
using Sluice.Core.State;

namespace Sluice.State.Postgres;

/// <summary>
/// The state store's PostgreSQL errors as messages users act on: where (host:port/database as user, never the
/// password), what is wrong and what to do. The server's own text is scrubbed of the password too.
/// </summary>
internal sealed class PostgresStateErrors(string where, string? password)
{
    private readonly string? _password = password is { Length: >= 4 } ? password : null;

    public StateException Explain(Exception e, string schema)
    {
        var message = e switch
        {
            PostgresException p => Server(p, schema),
            NpgsqlException { InnerException: TimeoutException } or TimeoutException =>
                $"PostgreSQL at {where} (the project's state) did not answer in time. Check the host and port in state:, that the server is up " +
                "and that a firewall lets this machine in.",
            NpgsqlException { InnerException: SocketException s } =>
                $"cannot reach PostgreSQL at {where} (the project's state): {s.Message.TrimEnd('.')}. Check the host and port in state: and that the server is up.",
            NpgsqlException n when n.Message.Contains("password", StringComparison.OrdinalIgnoreCase) =>
                $"PostgreSQL at {where} asks for a password and state: gives none. Add the password to the URL (postgres://user:PASSWORD@host/db).",
            _ => $"cannot use the project's state in PostgreSQL at {where}: {FirstLine(e.Message)}. Run again once the server is reachable.",
        };
        return new StateException(Scrub(message), e);
    }

    private string Server(PostgresException p, string schema)
    {
        var text = FirstLine(p.MessageText);
        return p.SqlState switch
        {
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification =>
                $"PostgreSQL at {where} refused the login for the project's state: {text}. Check the user and password in state:, " +
                "and that pg_hba.conf lets this user in from this machine.",
            PostgresErrorCodes.InvalidCatalogName =>
                $"PostgreSQL at {where} has no such database: {text}. Create it (createdb) or fix the database name in state:.",
            PostgresErrorCodes.InsufficientPrivilege =>
                $"PostgreSQL at {where} refused the state's schema '{schema}': {text}. Let the user create it (GRANT CREATE ON DATABASE ... TO user) " +
                $"or create it for them (CREATE SCHEMA {schema} AUTHORIZATION user); docs/state.md lists the permissions.",
            PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.AdminShutdown =>
                $"PostgreSQL at {where} does not accept a connection now: {text}. Try again later.",
            PostgresErrorCodes.DiskFull => $"PostgreSQL at {where} is out of disk space: {text}. Free space on the server, then run again.",
            PostgresErrorCodes.ReadOnlySqlTransaction =>
                $"PostgreSQL at {where} is read-only (a standby?): {text}. Point state: at the primary server.",
            _ => $"PostgreSQL at {where} failed on the project's state (schema '{schema}'): {text} (SQLSTATE {p.SqlState}).",
        };
    }

    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim().TrimEnd('.');

    private string Scrub(string text) => _password is null ? text : text.Replace(_password, "***", StringComparison.Ordinal);
}
