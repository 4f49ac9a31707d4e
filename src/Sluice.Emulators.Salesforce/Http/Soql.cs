using System.Globalization;
using System.Text;
using Sluice.Emulators.Salesforce.Schema;
using Sluice.Emulators.Salesforce.Store;

namespace Sluice.Emulators.Salesforce.Http;

/// <summary>A parsed SOQL query: <c>SELECT fields | COUNT() FROM Object [WHERE …] [ORDER BY …] [LIMIT n] [OFFSET n]</c>.</summary>
internal sealed record SoqlQuery(
    SObjectSchema Schema,
    List<string> Fields,
    bool Count,
    SoqlCondition? Where,
    List<SoqlOrder> OrderBy,
    int? Limit,
    int? Offset);

internal sealed record SoqlOrder(FieldSchema Field, bool Descending, bool NullsLast);

/// <summary>A WHERE condition tree.</summary>
internal abstract record SoqlCondition
{
    public abstract bool Matches(SRecord record);
}

internal sealed record SoqlAnd(SoqlCondition Left, SoqlCondition Right) : SoqlCondition
{
    public override bool Matches(SRecord record) => Left.Matches(record) && Right.Matches(record);
}

internal sealed record SoqlOr(SoqlCondition Left, SoqlCondition Right) : SoqlCondition
{
    public override bool Matches(SRecord record) => Left.Matches(record) || Right.Matches(record);
}

internal sealed record SoqlNot(SoqlCondition Inner) : SoqlCondition
{
    public override bool Matches(SRecord record) => !Inner.Matches(record);
}

/// <summary><c>Field op value</c>, <c>Field [NOT] IN (…)</c> or <c>Field LIKE 'pattern'</c>.</summary>
internal sealed record SoqlComparison(FieldSchema Field, string Op, List<object?> Values) : SoqlCondition
{
    public override bool Matches(SRecord record)
    {
        var actual = Field.Name == "Id" ? record.Id : record.Values.GetValueOrDefault(Field.Name);
        switch (Op)
        {
            case "IN":
                return Values.Any(v => SoqlValues.Equal(actual, v));
            case "NOT IN":
                return !Values.Any(v => SoqlValues.Equal(actual, v));
            case "LIKE":
                return actual is not null && Values[0] is string pattern && SoqlValues.Like(SoqlValues.Text(actual), pattern);
            case "=":
                return SoqlValues.Equal(actual, Values[0]);
            case "!=":
                return !SoqlValues.Equal(actual, Values[0]);
            default:
                // Ordering comparisons never match null, as in SOQL.
                if (actual is null || Values[0] is null)
                    return false;
                var c = SoqlValues.Compare(actual, Values[0]);
                return Op switch
                {
                    "<" => c < 0,
                    "<=" => c <= 0,
                    ">" => c > 0,
                    _ => c >= 0,
                };
        }
    }
}

/// <summary>How stored values compare in SOQL: text case-insensitively, numbers as numbers, ids by their 18-char form.</summary>
internal static class SoqlValues
{
    public static string Text(object value) => OrgStore.KeyOf(value);

    public static bool Equal(object? a, object? b)
    {
        if (a is null || b is null)
            return a is null && b is null;
        if (IsNumber(a) && IsNumber(b))
            return Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture);
        return string.Equals(Text(a), Text(b), StringComparison.OrdinalIgnoreCase);
    }

    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null)
            return a is null ? (b is null ? 0 : -1) : 1;
        if (IsNumber(a) && IsNumber(b))
            return Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture));
        if (a is bool x && b is bool y)
            return x.CompareTo(y);
        return string.Compare(Text(a), Text(b), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>SOQL LIKE: <c>%</c> any run, <c>_</c> one character, case-insensitive, <c>\%</c> and <c>\_</c> literal.</summary>
    public static bool Like(string text, string pattern)
    {
        var regex = new StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\' && i + 1 < pattern.Length)
                regex.Append(System.Text.RegularExpressions.Regex.Escape(pattern[++i].ToString()));
            else if (c == '%')
                regex.Append(".*");
            else if (c == '_')
                regex.Append('.');
            else
                regex.Append(System.Text.RegularExpressions.Regex.Escape(c.ToString()));
        }
        regex.Append('$');
        return System.Text.RegularExpressions.Regex.IsMatch(text, regex.ToString(),
            System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Singleline
            | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static bool IsNumber(object v) => v is long or int or double or decimal;
}

/// <summary>A small recursive-descent SOQL parser covering what sync clients send (jsforce, simple-salesforce, Sluice).</summary>
internal sealed class SoqlParser
{
    private readonly List<string> _tokens;
    private readonly SfState _state;
    private readonly string _soql;
    private int _at;

    private SoqlParser(string soql, List<string> tokens, SfState state)
    {
        _soql = soql;
        _tokens = tokens;
        _state = state;
    }

    /// <summary>The query, or null with the 400 error Salesforce would give.</summary>
    public static SoqlQuery? Parse(string soql, SfState state, out ApiError? error)
    {
        error = null;
        var tokens = Tokenize(soql);
        if (tokens is null)
        {
            error = Malformed(soql, "unexpected token");
            return null;
        }
        try
        {
            return new SoqlParser(soql, tokens, state).Query();
        }
        catch (SoqlException e)
        {
            error = e.Error;
            return null;
        }
    }

    private SoqlQuery Query()
    {
        Expect("SELECT");
        var count = false;
        var names = new List<string>();
        if (IsWord("COUNT") && Peek(1) == "(")
        {
            _at++;
            Expect("(");
            Expect(")");
            count = true;
        }
        else
        {
            names.Add(Identifier());
            while (Peek() == ",")
            {
                _at++;
                names.Add(Identifier());
            }
        }
        Expect("FROM");
        var objectName = Identifier();
        if (!_state.Catalog.TryGet(objectName, out var schema))
            throw new SoqlException(new ApiError(400, "INVALID_TYPE",
                $"\n{_soql}\n^\nERROR at Row:1:Column:1\nsObject type '{objectName}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."));
        var fields = names.Select(n => Field(schema, n).Name).ToList();
        SoqlCondition? where = null;
        if (IsWord("WHERE"))
        {
            _at++;
            where = Or(schema);
        }
        var order = new List<SoqlOrder>();
        if (IsWord("ORDER"))
        {
            _at++;
            Expect("BY");
            do
            {
                if (order.Count > 0)
                    _at++;
                var field = Field(schema, Identifier());
                var descending = false;
                if (IsWord("ASC") || IsWord("DESC"))
                    descending = Next().Equals("DESC", StringComparison.OrdinalIgnoreCase);
                // "By default, null values are sorted first" (SOQL ORDER BY reference), in either direction.
                var nullsLast = false;
                if (IsWord("NULLS"))
                {
                    _at++;
                    nullsLast = Next().ToUpperInvariant() switch
                    {
                        "LAST" => true,
                        "FIRST" => false,
                        _ => throw new SoqlException(Malformed(_soql, "expected FIRST or LAST")),
                    };
                }
                order.Add(new SoqlOrder(field, descending, nullsLast));
            }
            while (Peek() == ",");
        }
        int? limit = null, offset = null;
        if (IsWord("LIMIT"))
        {
            _at++;
            limit = Integer();
        }
        if (IsWord("OFFSET"))
        {
            _at++;
            offset = Integer();
        }
        if (_at < _tokens.Count)
            throw new SoqlException(Malformed(_soql, $"unexpected token: {_tokens[_at]}"));
        return new SoqlQuery(schema, fields, count, where, order, limit, offset);
    }

    private SoqlCondition Or(SObjectSchema schema)
    {
        var left = And(schema);
        while (IsWord("OR"))
        {
            _at++;
            left = new SoqlOr(left, And(schema));
        }
        return left;
    }

    private SoqlCondition And(SObjectSchema schema)
    {
        var left = Not(schema);
        while (IsWord("AND"))
        {
            _at++;
            left = new SoqlAnd(left, Not(schema));
        }
        return left;
    }

    private SoqlCondition Not(SObjectSchema schema)
    {
        if (IsWord("NOT"))
        {
            _at++;
            return new SoqlNot(Not(schema));
        }
        if (Peek() == "(")
        {
            _at++;
            var inner = Or(schema);
            Expect(")");
            return inner;
        }
        var field = Field(schema, Identifier());
        var op = Next().ToUpperInvariant();
        if (op == "NOT" && IsWord("IN"))
        {
            _at++;
            op = "NOT IN";
        }
        switch (op)
        {
            case "IN":
            case "NOT IN":
                Expect("(");
                var values = new List<object?> { Literal(field) };
                while (Peek() == ",")
                {
                    _at++;
                    values.Add(Literal(field));
                }
                Expect(")");
                return new SoqlComparison(field, op, values);
            case "LIKE":
                var pattern = Next();
                if (!pattern.StartsWith('\''))
                    throw new SoqlException(Malformed(_soql, "LIKE needs a string"));
                return new SoqlComparison(field, "LIKE", [Unquote(pattern)]);
            case "=" or "!=" or "<" or "<=" or ">" or ">=":
                return new SoqlComparison(field, op, [Literal(field)]);
            case "<>":
                return new SoqlComparison(field, "!=", [Literal(field)]);
            default:
                throw new SoqlException(Malformed(_soql, $"unexpected token: {op}"));
        }
    }

    private object? Literal(FieldSchema field)
    {
        var literal = Next();
        if (literal.Equals("null", StringComparison.OrdinalIgnoreCase))
            return null;
        if (literal is "(" or ")" or "," || (!literal.StartsWith('\'') && !char.IsAsciiLetterOrDigit(literal[0]) && literal[0] != '-'))
            throw new SoqlException(Malformed(_soql, $"unexpected token: {literal}"));
        var text = literal.StartsWith('\'') ? Unquote(literal) : literal;
        if (field.Type is "id" or "reference")
            return SalesforceId.TryNormalize(text, out var id) ? id : text;
        if (field.IsText)
            return text;
        // Numbers, booleans, dates: compare in the stored form; an unparsable literal matches nothing.
        return Values.FromText(field, text, out var typed) is null ? typed : text;
    }

    private static string Unquote(string literal)
    {
        var sb = new StringBuilder(literal.Length);
        for (var i = 1; i < literal.Length - 1; i++)
        {
            if (literal[i] == '\\' && i + 1 < literal.Length - 1)
            {
                i++;
                // \% and \_ stay escaped so LIKE can tell them from wildcards.
                sb.Append(literal[i] switch { 'n' => "\n", 't' => "\t", 'r' => "\r", '%' => "\\%", '_' => "\\_", var c => c.ToString() });
            }
            else
            {
                sb.Append(literal[i]);
            }
        }
        return sb.ToString();
    }

    private FieldSchema Field(SObjectSchema schema, string name)
    {
        if (!schema.FieldsByName.TryGetValue(name, out var field))
            throw new SoqlException(new ApiError(400, "INVALID_FIELD",
                $"\n{_soql}\n^\nERROR at Row:1:Column:1\nNo such column '{name}' on entity '{schema.Name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names."));
        return field;
    }

    private string Identifier()
    {
        var token = Next();
        if (!token.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || !char.IsAsciiLetter(token[0]))
            throw new SoqlException(Malformed(_soql, $"unexpected token: {token}"));
        return token;
    }

    private int Integer()
    {
        var token = Next();
        if (!int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            throw new SoqlException(Malformed(_soql, $"unexpected token: {token}"));
        return n;
    }

    private string? Peek(int ahead = 0) => _at + ahead < _tokens.Count ? _tokens[_at + ahead] : null;

    private bool IsWord(string word) => string.Equals(Peek(), word, StringComparison.OrdinalIgnoreCase);

    private string Next() =>
        _at < _tokens.Count ? _tokens[_at++] : throw new SoqlException(Malformed(_soql, "unexpected token: <EOF>"));

    private void Expect(string token)
    {
        if (!string.Equals(Next(), token, StringComparison.OrdinalIgnoreCase))
            throw new SoqlException(Malformed(_soql, $"expected {token}"));
    }

    /// <summary>Words, quoted strings (backslash escapes), numbers and date literals, and operators.</summary>
    private static List<string>? Tokenize(string soql)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < soql.Length)
        {
            var c = soql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            var start = i;
            if (c == '\'')
            {
                i++;
                while (i < soql.Length && soql[i] != '\'')
                    i += soql[i] == '\\' ? 2 : 1;
                if (i >= soql.Length)
                    return null;
                i++;
            }
            else if (c is '(' or ')' or ',' or '=')
            {
                i++;
            }
            else if (c is '<' or '>' or '!')
            {
                i++;
                if (i < soql.Length && (soql[i] == '=' || (c == '<' && soql[i] == '>')))
                    i++;
                else if (c == '!')
                    return null;
            }
            else if (char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ':' or '+')
            {
                // Words, numbers and date/datetime literals (2024-01-31, 2024-01-31T10:00:00Z).
                i++;
                while (i < soql.Length && (char.IsAsciiLetterOrDigit(soql[i]) || soql[i] is '_' or '-' or '.' or ':' or '+'))
                    i++;
            }
            else
            {
                return null;
            }
            tokens.Add(soql[start..i]);
        }
        return tokens;
    }

    public static ApiError Malformed(string soql, string detail) =>
        new(400, "MALFORMED_QUERY", $"\n{soql}\n^\nERROR at Row:1:Column:1\n{detail}");

    private sealed class SoqlException(ApiError error) : Exception(error.Message)
    {
        public ApiError Error { get; } = error;
    }
}
