using YamlDotNet.RepresentationModel;

namespace Sluice.Core.Configuration;

// The state: key: where the project's state lives when it is not the embedded .sluice/ folder.
internal sealed partial class ProjectParser
{
    private static readonly string[] StateKeys = ["connection", "schema"];

    /// <summary>
    /// <c>state: ${DATABASE_URL}</c>, or <c>state: { connection: ${DATABASE_URL}, schema: sluice }</c>; null when absent (the
    /// embedded store). The URL is a secret: messages name its variable, never its value.
    /// </summary>
    private StateConfig? ParseState(YamlMappingNode top)
    {
        if (Get(top, "state") is not { } node || IsNull(node))
        {
            return null;
        }

        YamlNode urlNode = node;
        string? schema = null;
        if (node is YamlMappingNode map)
        {
            CheckKeys(map, StateKeys, "state");
            if (Get(map, "connection") is not { } u)
            {
                Add(node, "state has no connection", "Add connection: ${DATABASE_URL} (a postgres:// URL or a connection string, in a variable).");
                return null;
            }

            urlNode = u;
            if (Get(map, "schema") is { } schemaNode && Scalar(schemaNode, "the schema of state") is { } s)
            {
                if (!System.Text.RegularExpressions.Regex.IsMatch(s.Text, "^[a-z_][a-z0-9_]{0,62}$"))
                {
                    Add(schemaNode, $"the schema of state, {s.Shown}, is not a plain schema name",
                        "Use lower-case letters, digits and _ (starting with a letter), e.g. schema: sluice.");
                    return null;
                }

                schema = s.Text;
            }
        }

        if (Scalar(urlNode, "state") is not { } url)
        {
            return null;
        }

        if (url.Text.Trim().Length == 0)
        {
            Add(urlNode, "state is empty", url.FromEnvironment
                ? $"Give {string.Join(", ", url.Variables)} a value (a postgres:// URL), or remove state: to keep the state in .sluice/."
                : "Write state: ${DATABASE_URL} with a postgres:// URL in that variable, or remove state: to keep the state in .sluice/.");
            return null;
        }

        if (!url.FromEnvironment && (url.Text.Contains('@', StringComparison.Ordinal) || url.Text.Contains("password", StringComparison.OrdinalIgnoreCase)))
        {
            _warnings.Add(new ConfigProblem(Loc(urlNode), $"state is a secret written literally in {_file}",
                $"Write state: ${{DATABASE_URL}} and put DATABASE_URL=... in the .env file beside {_file} (keep .env out of version control), or set DATABASE_URL in the environment."));
        }

        return new StateConfig(url.Text, schema ?? StateConfig.DefaultSchema, Loc(urlNode));
    }
}
