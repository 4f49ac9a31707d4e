using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Sluice.Emulators.Actito;

/// <summary>An immutable snapshot of a table's attributes; replaced whole when the structure changes.</summary>
internal sealed class AttributeSet
{
    public AttributeSet(IReadOnlyList<AttributeSpec> ordered)
    {
        Ordered = ordered;
        ByName = ordered.ToDictionary(a => a.Name, StringComparer.Ordinal);
    }

    public IReadOnlyList<AttributeSpec> Ordered { get; }

    public IReadOnlyDictionary<string, AttributeSpec> ByName { get; }
}

internal sealed class Profile
{
    public required long Id { get; init; }

    public required string CreationMoment { get; init; }

    public string UpdateMoment { get; set; } = "";

    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, bool> Subscriptions { get; } = new(StringComparer.Ordinal);

    public HashSet<(string Category, string Name)> Segments { get; } = [];
}

internal enum WriteMode
{
    CreateOnly,
    UpdateOnly,
    CreateOrUpdate,
}

internal enum WriteStatus
{
    Created,
    Updated,
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
}

internal readonly record struct WriteOutcome(WriteStatus Status, long ProfileId, string? Code = null, string? Message = null);

/// <summary>One validated change to a profile: attribute values (null clears) and subscription flags.</summary>
internal sealed class ProfileChange
{
    public List<(AttributeSpec Spec, string? Value)> Values { get; } = [];

    public Dictionary<string, bool> Subscriptions { get; } = new(StringComparer.Ordinal);

    public List<(string Category, string Name, bool Belongs)> Segments { get; } = [];
}

/// <summary>A profile table: its structure, profiles and unique-key indexes. One lock per table.</summary>
internal sealed class TableState
{
    private readonly object _gate = new();
    private readonly Dictionary<long, Profile> _profiles = [];
    private readonly Dictionary<string, Dictionary<string, long>> _unique = new(StringComparer.Ordinal);
    private readonly HashSet<string> _subscriptions;
    private volatile AttributeSet _attributes;

    public TableState(string id, string name, IEnumerable<AttributeSpec> attributes, IEnumerable<string> subscriptions)
    {
        Id = id;
        Name = name;
        var all = AttributeRules.TechnicalAttributes.Concat(attributes).ToList();
        _attributes = new AttributeSet(all);
        _subscriptions = new HashSet<string>(subscriptions, StringComparer.Ordinal);
        foreach (var spec in all.Where(a => a.Unique && !a.IsTechnical))
            _unique[spec.Name] = NewIndex(spec);
    }

    public string Id { get; }

    public string Name { get; }

    public AttributeSet Attributes => _attributes;

    public int Count
    {
        get { lock (_gate) return _profiles.Count; }
    }

    public bool HasSubscription(string name)
    {
        lock (_gate) return _subscriptions.Contains(name);
    }

    public IReadOnlyList<string> SubscriptionNames()
    {
        lock (_gate) return [.. _subscriptions.Order(StringComparer.Ordinal)];
    }

    private static Dictionary<string, long> NewIndex(AttributeSpec spec) =>
        new(spec.IsCaseInsensitiveKey ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);

    /// <summary>Creates and/or updates one profile, matching on <paramref name="targetId"/>, the key attribute, or every unique value.</summary>
    public WriteOutcome Write(ProfileChange change, WriteMode mode, long? targetId, string? keyAttribute, Func<long> nextId, string now)
    {
        lock (_gate)
        {
            Profile? existing = null;
            if (targetId is { } id)
            {
                if (!_profiles.TryGetValue(id, out existing))
                    return new(WriteStatus.NotFound, 0, "PROFILE_NOT_FOUND", $"No profile with id {id}.");
            }
            else if (keyAttribute is not null)
            {
                var key = change.Values.FirstOrDefault(v => v.Spec.Name == keyAttribute).Value;
                if (key is null)
                    return new(WriteStatus.Invalid, 0, "MISSING_KEY", $"The key column '{keyAttribute}' has no value.");
                existing = FindUniqueLocked(keyAttribute, key);
            }
            else
            {
                foreach (var (spec, value) in change.Values)
                {
                    if (value is null || !spec.Unique) continue;
                    var match = FindUniqueLocked(spec.Name, value);
                    if (match is null) continue;
                    if (existing is not null && existing.Id != match.Id)
                        return new(WriteStatus.Conflict, 0, "UNIQUE_CONFLICT",
                            "The unique attributes of the payload point to different profiles.");
                    existing = match;
                }
            }

            // Any other unique value must not belong to a different profile.
            foreach (var (spec, value) in change.Values)
            {
                if (value is null || !spec.Unique || spec.IsTechnical) continue;
                var owner = FindUniqueLocked(spec.Name, value);
                if (owner is not null && owner.Id != existing?.Id)
                {
                    return new(WriteStatus.Conflict, 0, "UNIQUE_CONFLICT",
                        $"The value of unique attribute '{spec.Name}' already belongs to another profile.");
                }
            }

            if (existing is not null)
            {
                if (mode == WriteMode.CreateOnly)
                    return new(WriteStatus.AlreadyExists, existing.Id, "PROFILE_ALREADY_EXISTS",
                        "A profile with the same unique attribute value already exists.");
                foreach (var (spec, value) in change.Values)
                {
                    if (value is null && spec.Mandatory)
                        return new(WriteStatus.Invalid, 0, "MISSING_MANDATORY", $"Mandatory attribute '{spec.Name}' cannot be emptied.");
                }
                Apply(existing, change);
                existing.UpdateMoment = now;
                return new(WriteStatus.Updated, existing.Id);
            }

            if (mode == WriteMode.UpdateOnly || targetId is not null)
                return new(WriteStatus.NotFound, 0, "PROFILE_NOT_FOUND", "No profile matches the key.");
            foreach (var spec in _attributes.Ordered)
            {
                if (!spec.Mandatory || spec.IsTechnical) continue;
                if (!change.Values.Any(v => v.Spec.Name == spec.Name && v.Value is not null))
                    return new(WriteStatus.Invalid, 0, "MISSING_MANDATORY", $"Mandatory attribute '{spec.Name}' has no value.");
            }
            var profile = new Profile { Id = nextId(), CreationMoment = now, UpdateMoment = now };
            Apply(profile, change);
            _profiles[profile.Id] = profile;
            return new(WriteStatus.Created, profile.Id);
        }
    }

    private void Apply(Profile profile, ProfileChange change)
    {
        foreach (var (spec, value) in change.Values)
        {
            if (spec.IsTechnical) continue;
            var index = spec.Unique ? _unique.GetValueOrDefault(spec.Name) : null;
            if (profile.Values.TryGetValue(spec.Name, out var old))
                index?.Remove(old);
            if (value is null)
            {
                profile.Values.Remove(spec.Name);
                continue;
            }
            profile.Values[spec.Name] = value;
            if (index is not null) index[value] = profile.Id;
        }
        foreach (var (name, subscribed) in change.Subscriptions)
            profile.Subscriptions[name] = subscribed;
        foreach (var (category, name, belongs) in change.Segments)
        {
            if (belongs) profile.Segments.Add((category, name));
            else profile.Segments.Remove((category, name));
        }
    }

    private Profile? FindUniqueLocked(string attribute, string value)
    {
        if (attribute == AttributeRules.ProfileId)
            return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? _profiles.GetValueOrDefault(id) : null;
        return _unique.TryGetValue(attribute, out var index) && index.TryGetValue(value, out var owner)
            ? _profiles.GetValueOrDefault(owner)
            : null;
    }

    /// <summary>Profile ids whose attribute equals the value (unique attributes by index, others by scan).</summary>
    public List<long> Find(string attribute, string value, int limit)
    {
        lock (_gate)
        {
            if (attribute == AttributeRules.ProfileId || _unique.ContainsKey(attribute))
                return FindUniqueLocked(attribute, value) is { } p ? [p.Id] : [];
            var result = new List<long>();
            foreach (var profile in _profiles.Values)
            {
                if (result.Count >= limit) break;
                if (profile.Values.TryGetValue(attribute, out var v) && string.Equals(v, value, StringComparison.Ordinal))
                    result.Add(profile.Id);
            }
            return result;
        }
    }

    public List<long> Ids(int limit)
    {
        lock (_gate) return [.. _profiles.Keys.Order().Take(limit)];
    }

    public bool Delete(long id)
    {
        lock (_gate)
        {
            if (!_profiles.Remove(id, out var profile)) return false;
            foreach (var (name, value) in profile.Values)
            {
                if (_unique.TryGetValue(name, out var index)) index.Remove(value);
            }
            return true;
        }
    }

    /// <summary>Runs an action on one profile under the table lock; false when it does not exist.</summary>
    public bool WithProfile(long id, Action<Profile> action)
    {
        lock (_gate)
        {
            if (!_profiles.TryGetValue(id, out var profile)) return false;
            action(profile);
            return true;
        }
    }

    /// <summary>The profile in the v4 JSON shape, or null.</summary>
    public JsonObject? ToJson(long id)
    {
        lock (_gate)
            return _profiles.TryGetValue(id, out var profile) ? ProfileJson.Write(profile, _attributes) : null;
    }

    /// <summary>All profiles as flat name/value maps, technical attributes included.</summary>
    public List<IReadOnlyDictionary<string, string?>> Snapshot()
    {
        lock (_gate)
        {
            var list = new List<IReadOnlyDictionary<string, string?>>(_profiles.Count);
            foreach (var profile in _profiles.Values.OrderBy(p => p.Id))
            {
                var flat = new Dictionary<string, string?>(StringComparer.Ordinal)
                {
                    [AttributeRules.ProfileId] = profile.Id.ToString(CultureInfo.InvariantCulture),
                    [AttributeRules.CreationMoment] = profile.CreationMoment,
                    [AttributeRules.UpdateMoment] = profile.UpdateMoment,
                };
                foreach (var (name, value) in profile.Values) flat[name] = value;
                foreach (var (name, subscribed) in profile.Subscriptions) flat["subscription:" + name] = subscribed ? "true" : "false";
                list.Add(flat);
            }
            return list;
        }
    }

    /// <summary>Adds one attribute; returns an error message or null.</summary>
    public string? AddAttribute(AttributeSpec spec)
    {
        lock (_gate)
        {
            if (_attributes.ByName.ContainsKey(spec.Name))
                return $"Attribute '{spec.Name}' already exists in table '{Name}'.";
            if (_subscriptions.Contains(spec.Name))
                return $"'{spec.Name}' is already a subscription of table '{Name}'.";
            if (spec.Unique) _unique[spec.Name] = NewIndex(spec);
            _attributes = new AttributeSet([.. _attributes.Ordered, spec]);
            return null;
        }
    }

    /// <summary>
    /// Applies a full table definition: new attributes are added; existing ones may become unique or mandatory and
    /// change maxLength, but never change type or lose a flag; attributes left out are kept (no column is dropped).
    /// Returns errors (empty when applied).
    /// </summary>
    public List<string> ApplyDefinition(IReadOnlyList<AttributeSpec> specs, IReadOnlyList<string> subscriptions)
    {
        lock (_gate)
        {
            var errors = new List<string>();
            var updated = _attributes.Ordered.ToList();
            var uniqueToBuild = new List<AttributeSpec>();
            foreach (var spec in specs)
            {
                if (spec.IsTechnical) continue; // present in the GET shape; system-managed, ignored here
                var at = updated.FindIndex(a => a.Name == spec.Name);
                if (at < 0)
                {
                    if (AttributeRules.CheckDefinition(spec) is { } error) errors.Add(error);
                    else if (spec.Mandatory && _profiles.Count > 0)
                        errors.Add($"Attribute '{spec.Name}' cannot be mandatory: the table already holds profiles without a value.");
                    else
                    {
                        updated.Add(spec);
                        if (spec.Unique) uniqueToBuild.Add(spec);
                    }
                    continue;
                }
                var current = updated[at];
                if (current.Type != spec.Type || current.Kind != spec.Kind)
                {
                    errors.Add($"The type of attribute '{spec.Name}' cannot be changed.");
                    continue;
                }
                if (spec.Mandatory && !current.Mandatory && _profiles.Values.Any(p => !p.Values.ContainsKey(spec.Name)))
                {
                    errors.Add($"Attribute '{spec.Name}' cannot be made mandatory: some profiles have no value.");
                    continue;
                }
                // unique/mandatory are only ever switched on here: a body that leaves them out must not drop a key.
                if (spec.Unique && !current.Unique)
                {
                    var seen = new HashSet<string>(spec.IsCaseInsensitiveKey ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
                    if (_profiles.Values.Any(p => p.Values.TryGetValue(spec.Name, out var v) && !seen.Add(v)))
                    {
                        errors.Add($"Attribute '{spec.Name}' cannot be made unique: its existing values are not unique.");
                        continue;
                    }
                    uniqueToBuild.Add(spec);
                }
                updated[at] = current with
                {
                    Unique = current.Unique || spec.Unique,
                    Mandatory = current.Mandatory || spec.Mandatory,
                    MaxLength = spec.MaxLength ?? current.MaxLength,
                };
            }
            if (errors.Count > 0) return errors;
            foreach (var spec in updated.Where(a => !a.Unique)) _unique.Remove(spec.Name);
            foreach (var spec in uniqueToBuild)
            {
                var index = NewIndex(spec);
                foreach (var profile in _profiles.Values)
                {
                    if (profile.Values.TryGetValue(spec.Name, out var v)) index[v] = profile.Id;
                }
                _unique[spec.Name] = index;
            }
            foreach (var name in subscriptions) _subscriptions.Add(name);
            _attributes = new AttributeSet(updated);
            return errors;
        }
    }

    public JsonObject DefinitionJson()
    {
        var attributes = new JsonArray();
        foreach (var spec in _attributes.Ordered) attributes.Add(AttributeRules.ToJson(spec));
        var subscriptions = new JsonArray();
        foreach (var name in SubscriptionNames()) subscriptions.Add(new JsonObject { ["name"] = name });
        return new JsonObject
        {
            ["id"] = Id,
            ["name"] = Name,
            ["attributes"] = attributes,
            ["subscriptions"] = subscriptions,
            ["displayOptions"] = new JsonObject { ["forAttributes"] = new JsonArray() },
        };
    }
}

internal sealed class EntityState(int id, string name)
{
    private readonly ConcurrentDictionary<string, TableState> _tables = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly List<TableState> _ordered = [];

    public int Id { get; } = id;

    public string Name { get; } = name;

    public IReadOnlyList<TableState> Tables
    {
        get { lock (_gate) return [.. _ordered]; }
    }

    /// <summary>A table by technical name or by id.</summary>
    public TableState? Find(string nameOrId)
    {
        if (_tables.TryGetValue(nameOrId, out var table)) return table;
        lock (_gate) return _ordered.FirstOrDefault(t => t.Id == nameOrId);
    }

    public bool TryAdd(TableState table)
    {
        lock (_gate)
        {
            if (!_tables.TryAdd(table.Name, table)) return false;
            _ordered.Add(table);
            return true;
        }
    }
}

/// <summary>All data of one emulator: entities, tables and profiles, rebuilt from the options on reset.</summary>
internal sealed class ActitoStore
{
    private readonly ActitoEmulatorOptions _options;
    private volatile Dictionary<string, EntityState> _entities = [];
    private long _nextProfileId;
    private long _nextTableId;

    public ActitoStore(ActitoEmulatorOptions options)
    {
        _options = options;
        Reset();
    }

    public IReadOnlyCollection<EntityState> Entities => _entities.Values;

    public EntityState? Entity(string name) => _entities.GetValueOrDefault(name);

    public long NextProfileId() => Interlocked.Increment(ref _nextProfileId);

    public string NextTableId() => Interlocked.Increment(ref _nextTableId).ToString(CultureInfo.InvariantCulture);

    public void Reset()
    {
        Interlocked.Exchange(ref _nextProfileId, 0);
        Interlocked.Exchange(ref _nextTableId, 0);
        var entities = new Dictionary<string, EntityState>(StringComparer.Ordinal);
        var entityId = 0;
        foreach (var name in _options.Entities)
        {
            var entity = new EntityState(++entityId, name);
            foreach (var table in _options.Tables)
                entity.TryAdd(new TableState(NextTableId(), table.Name, table.Attributes.Select(a => a.ToSpec()), table.Subscriptions));
            entities[name] = entity;
        }
        _entities = entities;
    }
}
