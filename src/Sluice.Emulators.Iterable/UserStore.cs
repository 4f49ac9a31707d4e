using System.Runtime.CompilerServices;
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
    public bool Seeded;

    // Read-after-write lag: when the last write was, and the state readers still see until the lag has passed.
    public long WrittenTimestamp;
    public bool PrevExists;
    public string? PrevEmail;
    public string? PrevUserId;
    public JsonObject? PrevData;
    public DateTimeOffset PrevUpdatedAt;
}

internal enum EmailChangeFailure
{
    None,
    WrongProjectType,
    InvalidEmail,
    UnknownUser,
    EmailTaken,
    EmailForgotten,
}

/// <summary>
/// One user's write as parsed from users/update or one bulkUpdate entry. <see cref="DataFields"/> is an element of a
/// document that owns its bytes (not a pooled one), so the values it holds can be stored as they are.
/// </summary>
internal sealed record UserWrite(
    string? Email,
    string? UserId,
    JsonElement? DataFields,
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

    // Identifiers users had before a change still inside the read-after-write lag: reads by them see the old state.
    private readonly Dictionary<string, StoredUser> _formerEmails = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, StoredUser> _formerUserIds = new(StringComparer.Ordinal);
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
            _formerEmails.Clear();
            _formerUserIds.Clear();
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private List<TypeConflict> CheckTypesLocked(IReadOnlyList<UserWrite> users, bool createNewFields)
    {
        var conflicts = new List<TypeConflict>();
        var overlay = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var user in users)
        {
            if (user.DataFields is not { } fields)
                continue;
            // Types only: the copy is made (once) when the user is written.
            var pass = new FieldPass(this, createNewFields, overlay, copy: false);
            pass.Filter(fields);
            if (pass.Conflicts is { } found)
                conflicts.AddRange(found);
            if (pass.Pending is { } pending)
            {
                foreach (var (name, type) in pending)
                    overlay[name] = type;
            }
        }
        return conflicts;
    }

    /// <summary>Validates, resolves and (if all is well) applies one user's write.</summary>
    public WriteResult Write(UserWrite write, bool createNewFields, bool seeded = false)
    {
        lock (_gate) return WriteLocked(write, createNewFields, seeded);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
            if (ProjectType != IterableProjectType.Email && fields.TryGetProperty("email"u8, out var de) && de.ValueKind != JsonValueKind.Null)
                newEmail = AsText(de);
            if (fields.TryGetProperty("userId"u8, out var du) && du.ValueKind != JsonValueKind.Null)
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
        if (w.DataFields is { } dataFields)
        {
            pass = new FieldPass(this, createNewFields || seeded, overlay: null, copy: false);
            pass.Filter(dataFields);
            if (pass.Intact)
            {
                // Nothing to drop: the parsed object itself is the copy to store (a JsonObject over the element,
                // exactly what JsonNode.Parse gives, materialised only if someone reads or merges it).
                incoming = JsonObject.Create(dataFields);
            }
            else
            {
                // Something is left out: the same walk again (same schema, same answers), building the copy.
                pass = new FieldPass(this, createNewFields || seeded, overlay: null, copy: true);
                incoming = pass.Filter(dataFields);
            }
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
                Seeded = seeded,
            };
            _userCount++;
            result.UserCreated = true;
        }
        else if (!seeded)
        {
            BeforeChange(target);
        }
        Reindex(target, newEmail ?? e ?? target.Email ?? placeholderEmail, newUserId ?? u ?? target.UserId);
        if (incoming is not null)
        {
            // A user with no data yet takes the fresh copy as it is (what merging it into {} would give).
            if (target.Data.Count == 0 && (_options.NullHandling == IterableNullHandling.StoreNull || !pass!.HasNullField))
                target.Data = incoming;
            else
                Merge(target.Data, incoming, w.MergeNestedObjects);
        }
        target.ProfileUpdatedAt = now;
        if (!seeded)
            AfterChange(target);
        if (pass?.Pending is { } pending)
        {
            foreach (var (name, type) in pending)
                _schema[name] = type;
        }
        return result;
    }

    /// <summary>
    /// <c>users/updateEmail</c> (email-based projects): the user named by its current email (else userId) gets the
    /// new email and keeps its data. Unknown users are checked before a taken or forgotten new email.
    /// </summary>
    public EmailChangeFailure ChangeEmail(string? currentEmail, string? currentUserId, string newEmail)
    {
        lock (_gate)
        {
            if (ProjectType != IterableProjectType.Email)
                return EmailChangeFailure.WrongProjectType;
            if (!Identifiers.IsValidEmail(newEmail))
                return EmailChangeFailure.InvalidEmail;
            var user = currentEmail is not null ? First(_byEmail, currentEmail) : First(_byUserId, currentUserId!);
            if (user is null)
                return EmailChangeFailure.UnknownUser;
            if (_forgottenEmails.Contains(newEmail))
                return EmailChangeFailure.EmailForgotten;
            if (First(_byEmail, newEmail) is { } owner && !ReferenceEquals(owner, user))
                return EmailChangeFailure.EmailTaken;
            BeforeChange(user);
            Reindex(user, newEmail, user.UserId);
            user.ProfileUpdatedAt = _time.GetUtcNow();
            AfterChange(user);
            return EmailChangeFailure.None;
        }
    }

    private bool Lagging => _options.ReadAfterWriteDelay > TimeSpan.Zero;

    /// <summary>Whether readers still see the user's state from before its last write.</summary>
    private bool IsFresh(StoredUser user) =>
        Lagging && !user.Seeded && _time.GetElapsedTime(user.WrittenTimestamp) < _options.ReadAfterWriteDelay;

    // Before an existing user changes: if readers see its current state, that state is what they keep seeing
    // during the lag (a burst of writes within the lag keeps the state from before the burst).
    private void BeforeChange(StoredUser user)
    {
        if (!Lagging || IsFresh(user))
            return;
        user.PrevExists = true;
        user.PrevEmail = user.Email;
        user.PrevUserId = user.UserId;
        user.PrevData = user.Data;
        user.PrevUpdatedAt = user.ProfileUpdatedAt;
        user.Data = (JsonObject)user.Data.DeepClone();
        user.Seeded = false;
    }

    private void AfterChange(StoredUser user)
    {
        user.Seeded = false;
        if (!Lagging)
            return;
        user.WrittenTimestamp = _time.GetTimestamp();
        if (user.PrevExists && user.PrevEmail is { } email && !EmailEquals(email, user.Email ?? ""))
            _formerEmails[email] = user;
        if (user.PrevExists && user.PrevUserId is { } userId && userId != user.UserId)
            _formerUserIds[userId] = user;
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

    // A non-string identifier is used as its compact JSON text (what JsonNode.ToJsonString gives).
    private static string AsText(JsonElement node) =>
        node.ValueKind == JsonValueKind.String ? node.GetString()! : JsonSerializer.Serialize(node, IterableJson.Options);

    private static bool EmailEquals(string a, string b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    private static StoredUser? First(Dictionary<string, List<StoredUser>> index, string key) =>
        index.TryGetValue(key, out var list) && list.Count > 0 ? list[0] : null;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    private bool IsVisible(StoredUser user) => !IsFresh(user) || user.PrevExists;

    /// <summary>
    /// The user as the GET endpoints render it, or null when absent. Within the read-after-write lag a read sees the
    /// state from before the last write: a new user is absent, an update shows the old values, a changed identifier
    /// is still found under the old one and not yet under the new one.
    /// </summary>
    public JsonObject? Render(string key, bool byEmail)
    {
        lock (_gate)
        {
            bool Named(string? id) => id is not null && (byEmail ? EmailEquals(id, key) : id == key);
            var user = First(byEmail ? _byEmail : _byUserId, key);
            if (user is not null)
            {
                if (!IsFresh(user))
                    return Render(user.Email, user.UserId, user.Data, user.SignupDate, user.ProfileUpdatedAt);
                if (user.PrevExists && Named(byEmail ? user.PrevEmail : user.PrevUserId))
                    return Render(user.PrevEmail, user.PrevUserId, user.PrevData!, user.SignupDate, user.PrevUpdatedAt);
            }
            var former = byEmail ? _formerEmails : _formerUserIds;
            if (former.TryGetValue(key, out var old))
            {
                if (!IsFresh(old))
                    former.Remove(key);
                else if (old.PrevExists && Named(byEmail ? old.PrevEmail : old.PrevUserId))
                    return Render(old.PrevEmail, old.PrevUserId, old.PrevData!, old.SignupDate, old.PrevUpdatedAt);
            }
            return null;
        }
    }

    private static JsonObject Render(string? email, string? userId, JsonObject fields, DateTimeOffset signup, DateTimeOffset updated)
    {
        var data = (JsonObject)fields.DeepClone();
        if (email is not null)
            data["email"] = email;
        if (userId is not null)
            data["userId"] = userId;
        data.TryAdd("signupDate", IterableDate(signup));
        data.TryAdd("profileUpdatedAt", IterableDate(updated));
        data.TryAdd("signupSource", "API");
        var rendered = new JsonObject();
        if (email is not null)
            rendered["email"] = email;
        if (userId is not null)
            rendered["userId"] = userId;
        rendered["dataFields"] = data;
        rendered["profileUpdatedAt"] = IterableDate(updated);
        return rendered;
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
    /// and collects mismatches. With <paramref name="copy"/>, also produces a detached copy that is safe to store
    /// (leaves are the parsed values themselves, as JsonNode.Parse would give them); without, it only types.
    /// </summary>
    private sealed class FieldPass(UserStore store, bool createNewFields, Dictionary<string, string>? overlay, bool copy)
    {
        // Allocated on first use: most writes of known fields create, filter and pend nothing.
        public Dictionary<string, string>? Pending { get; private set; }
        public List<string>? Created { get; private set; }
        public List<string>? FilteredOut { get; private set; }
        public List<TypeConflict>? Conflicts { get; private set; }
        public bool TooManyFields { get; private set; }

        /// <summary>True when the walk kept every value: the copy would equal the input.</summary>
        public bool Intact { get; private set; } = true;

        /// <summary>True when a top-level field is JSON null.</summary>
        public bool HasNullField { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public JsonObject? Filter(JsonElement dataFields)
        {
            var result = copy ? new JsonObject() : null;
            foreach (var property in dataFields.EnumerateObject())
            {
                if (property.NameEquals("email"u8) || property.NameEquals("userId"u8))
                {
                    Intact = false;
                    continue; // identifiers, handled by the identity rules
                }
                var name = property.Name;
                HasNullField |= property.Value.ValueKind == JsonValueKind.Null;
                if (FilterValue(name, property.Value, out var kept))
                    result?.Add(name, kept);
                else
                    Intact = false;
            }
            return result;
        }

        private string? Lookup(string path) =>
            Pending is not null && Pending.TryGetValue(path, out var type) ? type
            : overlay is not null && overlay.TryGetValue(path, out type) ? type
            : store._schema.GetValueOrDefault(path);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool FilterValue(string path, JsonElement value, out JsonNode? kept)
        {
            kept = null;
            switch (value.ValueKind)
            {
                case JsonValueKind.Null:
                    if (Lookup(path) is null && !createNewFields)
                    {
                        AddFilteredOut(path);
                        return false;
                    }
                    return true;
                case JsonValueKind.Array:
                    {
                        if (Lookup(path) is null && !createNewFields)
                        {
                            AddFilteredOut(path);
                            return false;
                        }
                        var array = copy ? new JsonArray() : null;
                        foreach (var element in value.EnumerateArray())
                        {
                            if (element.ValueKind == JsonValueKind.Array)
                                array?.Add(JsonArray.Create(element)); // arrays of arrays are stored untyped
                            else if (FilterValue(path, element, out var keptElement))
                                array?.Add(keptElement);
                            else
                                Intact = false;
                        }
                        kept = array;
                        return true;
                    }
                case JsonValueKind.Object:
                    {
                        var geo = FieldTypes.IsGeoLocation(path, value);
                        if (!Check(path, geo ? FieldTypes.GeoLocation : FieldTypes.Object, value))
                            return false;
                        if (geo)
                        {
                            kept = copy ? JsonObject.Create(value) : null;
                            return true;
                        }
                        var obj = copy ? new JsonObject() : null;
                        foreach (var child in value.EnumerateObject())
                        {
                            var name = child.Name;
                            if (FilterValue(path + "." + name, child.Value, out var keptChild))
                                obj?.Add(name, keptChild);
                            else
                                Intact = false;
                        }
                        kept = obj;
                        return true;
                    }
                default:
                    if (!Check(path, FieldTypes.OfScalar(value, store._options.BooleanTypeName), value))
                        return false;
                    kept = copy ? JsonValue.Create(value) : null;
                    return true;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool Check(string path, string incoming, JsonElement value)
        {
            var existing = Lookup(path);
            if (existing is null)
            {
                if (!createNewFields)
                {
                    AddFilteredOut(path);
                    return false;
                }
                var customFields = store._schema.Count - BuiltInFields.Length + (overlay?.Count ?? 0) + (Pending?.Count ?? 0);
                if (store._options.MaxUniqueFields is { } max && customFields >= max)
                {
                    TooManyFields = true;
                    return false;
                }
                (Pending ??= new Dictionary<string, string>(StringComparer.Ordinal))[path] = incoming;
                (Created ??= []).Add(path);
                return true;
            }
            if (FieldTypes.Accepts(existing, incoming, store._options.AcceptIntegersInDoubleFields))
                return true;
            (Conflicts ??= []).Add(new TypeConflict(path, existing, incoming,
                value.ValueKind == JsonValueKind.Object ? null : JsonValue.Create(value)));
            return false;
        }

        private void AddFilteredOut(string path)
        {
            FilteredOut ??= [];
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
    public long RateLimitViolations;
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
        Interlocked.Exchange(ref RateLimitViolations, 0);
        Interlocked.Exchange(ref InjectedThrottles, 0);
        Interlocked.Exchange(ref InjectedErrors, 0);
    }
}
