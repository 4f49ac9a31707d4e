using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Iterable;

internal sealed class StoredUser
{
    public string? Email;
    public string? UserId;
    public JsonObject Data = new();
    public DateTimeOffset SignupDate;
    public DateTimeOffset ProfileUpdatedAt;
    public long CreatedTimestamp;
    public bool Seeded;
}

/// <summary>One user's write as parsed from users/update or one bulkUpdate entry.</summary>
internal sealed record UserWrite(
    string? Email,
    string? UserId,
    JsonObject? DataFields,
    bool MergeNestedObjects,
    bool PreferUserId);

internal enum WriteFailure
{
    None,
    MissingIdentifier,
    InvalidEmail,
    InvalidUserId,
    IdentityMismatch,
    EmailTaken,
    UserIdTaken,
    UnknownUserId,
    TypeMismatch,
    TooManyFields,
    Forgotten,
}

internal sealed record TypeConflict(string Field, string ExpectedType, string IncomingType, JsonNode? OffendingValue);

internal sealed class WriteResult
{
    public WriteFailure Failure;

    /// <summary>The identifier the failure is reported under, and whether it is an email (else a userId).</summary>
    public string? ReportedId;
    public bool ReportedIdIsEmail;
    public List<TypeConflict>? Conflicts;
    public List<string>? Created;
    public List<string>? FilteredOut;
    public bool UserCreated;
}

/// <summary>
/// The project's users and field schema. One lock guards everything: a bulk write of 1000 users holds it for about a
/// millisecond, and one project-wide schema has to be checked and extended atomically anyway.
/// </summary>
internal sealed class UserStore
{
    private static readonly string[] BuiltInFields = ["email", "userId", "signupDate", "profileUpdatedAt", "signupSource"];

    private readonly object _gate = new();
    private readonly IterableEmulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, List<StoredUser>> _byEmail = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<StoredUser>> _byUserId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _schema = new(StringComparer.Ordinal);
    private readonly HashSet<string> _forgottenEmails = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _forgottenUserIds = new(StringComparer.Ordinal);
    private long _userCount;

    public UserStore(IterableEmulatorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        ResetSchema();
    }

    public Counters Counters { get; } = new();

    private IterableProjectType ProjectType => _options.ProjectType;

    public long UserCount
    {
        get { lock (_gate) return _userCount; }
    }

    public long FieldCount
    {
        get { lock (_gate) return _schema.Count; }
    }

    public void Reset()
    {
        lock (_gate)
        {
            _byEmail.Clear();
            _byUserId.Clear();
            _forgottenEmails.Clear();
            _forgottenUserIds.Clear();
            _userCount = 0;
            ResetSchema();
        }
    }

    private void ResetSchema()
    {
        _schema.Clear();
        _schema["email"] = FieldTypes.String;
        _schema["userId"] = FieldTypes.String;
        _schema["signupDate"] = FieldTypes.Date;
        _schema["profileUpdatedAt"] = FieldTypes.Date;
        _schema["signupSource"] = FieldTypes.String;
    }

    public Dictionary<string, string> SchemaSnapshot()
    {
        lock (_gate) return new Dictionary<string, string>(_schema, StringComparer.Ordinal);
    }

    /// <summary>
    /// Writes a bulk request's users one by one. In whole-request conflict mode the users are type-checked first and
    /// any mismatch fails the request (returned, nothing stored); both steps run under one lock.
    /// </summary>
    public (List<TypeConflict>? Conflicts, WriteResult[]? Results) WriteBulk(
        IReadOnlyList<UserWrite> writes, bool createNewFields, bool wholeRequestConflicts)
    {
        lock (_gate)
        {
            if (wholeRequestConflicts && CheckTypesLocked(writes, createNewFields) is { Count: > 0 } conflicts)
                return (conflicts, null);
            var results = new WriteResult[writes.Count];
            for (var i = 0; i < writes.Count; i++)
                results[i] = WriteLocked(writes[i], createNewFields, seeded: false);
            return (null, results);
        }
    }

    // Later users are checked against fields that earlier users of the same request would create.
    private List<TypeConflict> CheckTypesLocked(IReadOnlyList<UserWrite> users, bool createNewFields)
    {
        var conflicts = new List<TypeConflict>();
        var overlay = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            if (user.DataFields is null)
                continue;
            var pass = new FieldPass(this, createNewFields, overlay);
            pass.Filter(user.DataFields);
            if (pass.Conflicts is { } found)
                conflicts.AddRange(found);
            foreach (var (name, type) in pass.Pending)
                overlay[name] = type;
        }
        return conflicts;
    }

    /// <summary>Validates, resolves and (if all is well) applies one user's write.</summary>
    public WriteResult Write(UserWrite write, bool createNewFields, bool seeded = false)
    {
        lock (_gate) return WriteLocked(write, createNewFields, seeded);
    }

    private WriteResult WriteLocked(UserWrite w, bool createNewFields, bool seeded)
    {
        var result = new WriteResult();
        var e = w.Email;
        var u = w.UserId;
        result.ReportedId = e ?? u ?? "";
        result.ReportedIdIsEmail = e is not null;

        string? newEmail = null;
        string? newUserId = null;
        if (w.DataFields is { } fields)
        {
            // Identity changes ride in dataFields; email-based projects change email only through updateEmail.
            if (ProjectType != IterableProjectType.Email && fields["email"] is { } de)
                newEmail = AsText(de);
            if (fields["userId"] is { } du)
                newUserId = AsText(du);
        }

        if (e is null && u is null)
            return Fail(result, WriteFailure.MissingIdentifier);
        if (e is not null && !Identifiers.IsValidEmail(e))
            return Fail(result, WriteFailure.InvalidEmail, e, isEmail: true);
        if (u is not null && !Identifiers.IsValidUserId(u))
            return Fail(result, WriteFailure.InvalidUserId, u, isEmail: false);
        if (newEmail is not null && !Identifiers.IsValidEmail(newEmail))
            return Fail(result, WriteFailure.InvalidEmail, newEmail, isEmail: true);
        if (newUserId is not null && !Identifiers.IsValidUserId(newUserId))
            return Fail(result, WriteFailure.InvalidUserId, newUserId, isEmail: false);

        // GDPR-forgotten identifiers block all further data collection.
        if (e is not null && _forgottenEmails.Contains(e))
            return Fail(result, WriteFailure.Forgotten, e, isEmail: true);
        if (u is not null && _forgottenUserIds.Contains(u))
            return Fail(result, WriteFailure.Forgotten, u, isEmail: false);

        StoredUser? target;
        string? placeholderEmail = null;
        switch (ProjectType)
        {
            case IterableProjectType.Hybrid:
                {
                    var byEmail = e is null ? null : First(_byEmail, e);
                    var byUserId = u is null ? null : First(_byUserId, u);
                    if (byEmail is not null && byUserId is not null && !ReferenceEquals(byEmail, byUserId))
                        return Fail(result, WriteFailure.IdentityMismatch);
                    target = byEmail ?? byUserId;
                    // Top-level identifiers identify; changing one of them goes through dataFields.
                    if (target is not null
                        && ((e is not null && target.Email is not null && !EmailEquals(target.Email, e))
                            || (u is not null && target.UserId is not null && target.UserId != u)))
                        return Fail(result, WriteFailure.IdentityMismatch);
                    break;
                }
            case IterableProjectType.UserId:
                if (u is null)
                    return Fail(result, WriteFailure.MissingIdentifier);
                target = First(_byUserId, u);
                break;
            default:
                if (e is not null)
                {
                    target = First(_byEmail, e);
                }
                else
                {
                    target = First(_byUserId, u!);
                    if (target is null)
                    {
                        if (!w.PreferUserId)
                            return Fail(result, WriteFailure.UnknownUserId, u, isEmail: false);
                        placeholderEmail = Guid.NewGuid().ToString("N") + "@placeholder.email";
                    }
                }
                break;
        }

        if (ProjectType == IterableProjectType.Hybrid)
        {
            if (newEmail is not null && First(_byEmail, newEmail) is { } owner && !ReferenceEquals(owner, target))
                return Fail(result, WriteFailure.EmailTaken, newEmail, isEmail: true);
        }
        if (ProjectType != IterableProjectType.Email)
        {
            if (newUserId is not null && First(_byUserId, newUserId) is { } owner && !ReferenceEquals(owner, target))
                return Fail(result, WriteFailure.UserIdTaken, newUserId, isEmail: false);
        }

        JsonObject? incoming = null;
        FieldPass? pass = null;
        if (w.DataFields is not null)
        {
            pass = new FieldPass(this, createNewFields || seeded, overlay: null);
            incoming = pass.Filter(w.DataFields);
            result.Created = pass.Created;
            result.FilteredOut = pass.FilteredOut;
            if (pass.Conflicts is not null)
            {
                result.Conflicts = pass.Conflicts;
                return Fail(result, WriteFailure.TypeMismatch);
            }
            if (pass.TooManyFields)
                return Fail(result, WriteFailure.TooManyFields);
        }

        var now = _time.GetUtcNow();
        if (target is null)
        {
            target = new StoredUser
            {
                SignupDate = now,
                CreatedTimestamp = _time.GetTimestamp(),
                Seeded = seeded,
            };
            _userCount++;
            result.UserCreated = true;
        }
        Reindex(target, newEmail ?? e ?? target.Email ?? placeholderEmail, newUserId ?? u ?? target.UserId);
        if (incoming is not null)
            Merge(target.Data, incoming, w.MergeNestedObjects);
        target.ProfileUpdatedAt = now;
        if (pass is not null)
        {
            foreach (var (name, type) in pass.Pending)
                _schema[name] = type;
        }
        return result;
    }

    private static WriteResult Fail(WriteResult result, WriteFailure failure, string? id = null, bool isEmail = false)
    {
        result.Failure = failure;
        if (id is not null)
        {
            result.ReportedId = id;
            result.ReportedIdIsEmail = isEmail;
        }
        result.Created = null;
        return result;
    }

    private static string AsText(JsonNode node) =>
        node.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : node.ToJsonString();

    private static bool EmailEquals(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static StoredUser? First(Dictionary<string, List<StoredUser>> index, string key) =>
        index.TryGetValue(key, out var list) && list.Count > 0 ? list[0] : null;

    private void Reindex(StoredUser user, string? email, string? userId)
    {
        if (!string.Equals(user.Email, email, StringComparison.Ordinal))
        {
            if (user.Email is not null)
                Unlink(_byEmail, user.Email, user);
            if (email is not null)
                Link(_byEmail, email, user);
            user.Email = email;
        }
        if (!string.Equals(user.UserId, userId, StringComparison.Ordinal))
        {
            if (user.UserId is not null)
                Unlink(_byUserId, user.UserId, user);
            if (userId is not null)
                Link(_byUserId, userId, user);
            user.UserId = userId;
        }
    }

    private static void Link(Dictionary<string, List<StoredUser>> index, string key, StoredUser user)
    {
        if (!index.TryGetValue(key, out var list))
            index[key] = list = new List<StoredUser>(1);
        list.Add(user);
    }

    private static void Unlink(Dictionary<string, List<StoredUser>> index, string key, StoredUser user)
    {
        if (index.TryGetValue(key, out var list))
        {
            list.Remove(user);
            if (list.Count == 0)
                index.Remove(key);
        }
    }

    private void Merge(JsonObject target, JsonObject incoming, bool mergeNested)
    {
        foreach (var (name, value) in incoming.ToArray())
        {
            incoming.Remove(name);
            if (value is null)
            {
                switch (_options.NullHandling)
                {
                    case IterableNullHandling.StoreNull:
                        target[name] = null;
                        break;
                    case IterableNullHandling.Remove:
                        target.Remove(name);
                        break;
                }
                continue;
            }
            if (mergeNested && value is JsonObject incomingObject && target[name] is JsonObject existingObject)
            {
                Merge(existingObject, incomingObject, mergeNested: true);
                continue;
            }
            target[name] = value;
        }
    }

    /// <summary>Users a GET or DELETE can see (a fresh user is hidden while the read-after-write lag lasts).</summary>
    private bool IsVisible(StoredUser user) =>
        user.Seeded
        || _options.ReadAfterWriteDelay <= TimeSpan.Zero
        || _time.GetElapsedTime(user.CreatedTimestamp) >= _options.ReadAfterWriteDelay;

    /// <summary>The user as the GET endpoints render it, or null when absent (or not yet visible).</summary>
    public JsonObject? Render(string key, bool byEmail)
    {
        lock (_gate)
        {
            var user = First(byEmail ? _byEmail : _byUserId, key);
            if (user is null || !IsVisible(user))
                return null;
            var data = (JsonObject)user.Data.DeepClone();
            if (user.Email is not null)
                data["email"] = user.Email;
            if (user.UserId is not null)
                data["userId"] = user.UserId;
            data.TryAdd("signupDate", IterableDate(user.SignupDate));
            data.TryAdd("profileUpdatedAt", IterableDate(user.ProfileUpdatedAt));
            data.TryAdd("signupSource", "API");
            var rendered = new JsonObject();
            if (user.Email is not null)
                rendered["email"] = user.Email;
            if (user.UserId is not null)
                rendered["userId"] = user.UserId;
            rendered["dataFields"] = data;
            rendered["profileUpdatedAt"] = IterableDate(user.ProfileUpdatedAt);
            return rendered;
        }
    }

    /// <summary>Deletes every (visible) user with the key; returns how many.</summary>
    public int Delete(string key, bool byEmail)
    {
        lock (_gate)
        {
            var index = byEmail ? _byEmail : _byUserId;
            if (!index.TryGetValue(key, out var list))
                return 0;
            var victims = list.Where(IsVisible).ToArray();
            foreach (var user in victims)
            {
                Reindex(user, null, null);
                _userCount--;
            }
            return victims.Length;
        }
    }

    /// <summary>
    /// GDPR-forgets users: deletes the ones the identifier names (by email, then userId) and blocks the identifier
    /// and the deleted users' identifiers from future writes. Returns how many users were deleted.
    /// </summary>
    public int Forget(string emailOrUserId)
    {
        lock (_gate)
        {
            var users = _byEmail.TryGetValue(emailOrUserId, out var byEmail) ? byEmail.ToArray()
                : _byUserId.TryGetValue(emailOrUserId, out var byUserId) ? byUserId.ToArray()
                : [];
            if (users.Length == 0)
            {
                if (Identifiers.IsValidEmail(emailOrUserId))
                    _forgottenEmails.Add(emailOrUserId);
                else
                    _forgottenUserIds.Add(emailOrUserId);
            }
            foreach (var user in users)
            {
                if (user.Email is not null)
                    _forgottenEmails.Add(user.Email);
                if (user.UserId is not null)
                    _forgottenUserIds.Add(user.UserId);
                Reindex(user, null, null);
                _userCount--;
            }
            return users.Length;
        }
    }

    public IterableUserSnapshot? Snapshot(string emailOrUserId)
    {
        lock (_gate)
        {
            var user = First(_byEmail, emailOrUserId) ?? First(_byUserId, emailOrUserId);
            return user is null
                ? null
                : new IterableUserSnapshot(user.Email, user.UserId, (JsonObject)user.Data.DeepClone(),
                    user.SignupDate, user.ProfileUpdatedAt);
        }
    }

    internal static string IterableDate(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss '+00:00'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// One user's walk over its dataFields: drops unknown fields when new ones are not allowed, types new fields,
    /// and collects mismatches. Produces a detached copy that is safe to store.
    /// </summary>
    private sealed class FieldPass(UserStore store, bool createNewFields, Dictionary<string, string>? overlay)
    {
        public Dictionary<string, string> Pending { get; } = new(StringComparer.Ordinal);
        public List<string> Created { get; } = [];
        public List<string> FilteredOut { get; } = [];
        public List<TypeConflict>? Conflicts { get; private set; }
        public bool TooManyFields { get; private set; }

        public JsonObject Filter(JsonObject dataFields)
        {
            var copy = new JsonObject();
            foreach (var (name, value) in dataFields)
            {
                if (name is "email" or "userId")
                    continue; // identifiers, handled by the identity rules
                if (FilterValue(name, value, out var kept))
                    copy[name] = kept;
            }
            return copy;
        }

        private string? Lookup(string path) =>
            Pending.TryGetValue(path, out var type) ? type
            : overlay is not null && overlay.TryGetValue(path, out type) ? type
            : store._schema.GetValueOrDefault(path);

        private bool FilterValue(string path, JsonNode? value, out JsonNode? kept)
        {
            kept = null;
            switch (value)
            {
                case null:
                    if (Lookup(path) is null && !createNewFields)
                    {
                        AddFilteredOut(path);
                        return false;
                    }
                    return true;
                case JsonArray array:
                    {
                        if (Lookup(path) is null && !createNewFields)
                        {
                            AddFilteredOut(path);
                            return false;
                        }
                        var copy = new JsonArray();
                        foreach (var element in array)
                        {
                            if (element is JsonArray)
                                copy.Add(element.DeepClone()); // arrays of arrays are stored untyped
                            else if (FilterValue(path, element, out var keptElement))
                                copy.Add(keptElement);
                        }
                        kept = copy;
                        return true;
                    }
                case JsonObject obj:
                    {
                        var geo = FieldTypes.IsGeoLocation(path, obj);
                        if (!Check(path, geo ? FieldTypes.GeoLocation : FieldTypes.Object, obj))
                            return false;
                        if (geo)
                        {
                            kept = obj.DeepClone();
                            return true;
                        }
                        var copy = new JsonObject();
                        foreach (var (name, child) in obj)
                        {
                            if (FilterValue(path + "." + name, child, out var keptChild))
                                copy[name] = keptChild;
                        }
                        kept = copy;
                        return true;
                    }
                default:
                    if (!Check(path, FieldTypes.OfScalar(value, store._options.BooleanTypeName), value))
                        return false;
                    kept = value.DeepClone();
                    return true;
            }
        }

        private bool Check(string path, string incoming, JsonNode value)
        {
            var existing = Lookup(path);
            if (existing is null)
            {
                if (!createNewFields)
                {
                    AddFilteredOut(path);
                    return false;
                }
                var customFields = store._schema.Count - BuiltInFields.Length + (overlay?.Count ?? 0) + Pending.Count;
                if (store._options.MaxUniqueFields is { } max && customFields >= max)
                {
                    TooManyFields = true;
                    return false;
                }
                Pending[path] = incoming;
                Created.Add(path);
                return true;
            }
            if (FieldTypes.Accepts(existing, incoming, store._options.AcceptIntegersInDoubleFields))
                return true;
            (Conflicts ??= []).Add(new TypeConflict(path, existing, incoming,
                value is JsonObject ? null : value.DeepClone()));
            return false;
        }

        private void AddFilteredOut(string path)
        {
            if (!FilteredOut.Contains(path))
                FilteredOut.Add(path);
        }
    }
}

/// <summary>Thread-safe counters behind the stats (Interlocked; no lock on the hot path).</summary>
internal sealed class Counters
{
    private static readonly int EndpointCount = Enum.GetValues<IterableEndpoint>().Length;

    public long[] Requests = new long[EndpointCount];
    public long[] UsersReceived = new long[EndpointCount];
    public long UsersCreated;
    public long UsersUpdated;
    public long UsersDeleted;
    public long UsersFailed;
    public long RateLimited;
    public long InjectedThrottles;
    public long InjectedErrors;

    public void Reset()
    {
        Array.Clear(Requests);
        Array.Clear(UsersReceived);
        Interlocked.Exchange(ref UsersCreated, 0);
        Interlocked.Exchange(ref UsersUpdated, 0);
        Interlocked.Exchange(ref UsersDeleted, 0);
        Interlocked.Exchange(ref UsersFailed, 0);
        Interlocked.Exchange(ref RateLimited, 0);
        Interlocked.Exchange(ref InjectedThrottles, 0);
        Interlocked.Exchange(ref InjectedErrors, 0);
    }
}
