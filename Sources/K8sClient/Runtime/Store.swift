import KubeCore

/// What changed in a cache; what informers hand to their event handlers.
/// `fromList` marks events from an initial list, a relist or a periodic resync (not a live change):
/// controllers queue those in the low lane.
public enum InformerEvent<T: Sendable>: Sendable {
    case added(T, fromList: Bool)
    case updated(old: T, new: T, fromList: Bool)
    case deleted(T)

    /// The object as it is now (the last state for a deletion).
    public var object: T {
        switch self {
        case .added(let o, _): return o
        case .updated(_, let o, _): return o
        case .deleted(let o): return o
        }
    }
}

/// The informer's cache of one kind: lock-protected, cheap concurrent reads, indexed.
///
/// - Indexes: `namespace` is built in; callers register more (`addIndex`), each a function from an
///   object to the values it is filed under (e.g. a label's value).
/// - Transform: applied to every object before it is stored (drop managedFields, annotations or a
///   big status nobody reads), so 100,000 objects stay small.
/// - Read-your-own-writes: controllers write through `CacheAwareApi`, which records the server's
///   answer here (`noteWrite`) and every deletion (`noteDelete`). Until the watch delivers that
///   resourceVersion (or a newer one), the cache keeps the written object and ignores older watch
///   states of it; a deleted object leaves the cache at once and its late watch states are ignored.
///   So a reconcile never acts on a cache older than its own last write. See `ResourceVersion` for
///   how versions are ordered, docs/ARCHITECTURE.md ("Writes") for the contract.
public final class Store<T: KubernetesObject>: Sendable {
    public typealias IndexFunction = @Sendable (T) -> [String]
    public typealias Transform = @Sendable (T) -> T

    /// Name of the built-in index by namespace ("" for cluster-scoped objects).
    public static var namespaceIndex: String { "namespace" }

    /// A cached object, on the heap: the table holds a pointer per slot rather than the object inline (a
    /// CloudResource is about 500 bytes inline, a table has up to 2.7 slots per object, and while it grows the
    /// old and the new table are both alive). With a `Packing`, the packing's own immutable object instead.
    private enum Entry: @unchecked Sendable {
        case object(Box)
        case packed(AnyObject)

        /// Whether both are the very same stored object (not merely equal ones).
        func isSame(as other: Entry) -> Bool {
            switch (self, other) {
            case (.object(let a), .object(let b)): return a === b
            case (.packed(let a), .packed(let b)): return a === b
            default: return false
            }
        }
    }

    private final class Box: Sendable {
        let object: T
        init(_ object: T) { self.object = object }
    }

    /// A compact stored form of the objects: each one is packed when stored and unpacked on every read, so
    /// the cache holds what the packing keeps (e.g. bytes, see `PackedWriter`) rather than a decoded value's
    /// strings, optionals and lists. `unpack(pack(x))` must equal `x` (readers and event handlers see the
    /// unpacked object), and a packed object must never change (it is shared by concurrent readers).
    /// `unpack` is given the object's key: the name and namespace need not be packed, and the unpacked object
    /// shares the key's strings instead of a copy of its own.
    public struct Packing: Sendable {
        public var pack: @Sendable (T) -> AnyObject
        public var unpack: @Sendable (AnyObject, ObjectKey) -> T
        /// The table the packed bytes number their recurring strings in, if any (what `forEachStored` hands a
        /// scan that reads packed bytes itself).
        public var strings: SharedStrings?

        public init(pack: @escaping @Sendable (T) -> AnyObject, unpack: @escaping @Sendable (AnyObject, ObjectKey) -> T, strings: SharedStrings? = nil) {
            self.pack = pack
            self.unpack = unpack
            self.strings = strings
        }
    }

    /// Our own write of an object that the watch has not echoed yet: its resourceVersion, and what the cache held
    /// before the first such write (the packed entry itself, shared, not a copy), so that the echo's event tells
    /// handlers what changed (e.g. the tags counted as applied) rather than the written state twice.
    private struct OwnWrite {
        var version: String
        var before: Entry?
        /// The written object as stored, and its entry: while the cache still holds that very entry, the echo's
        /// event hands handlers this object rather than unpacking the entry again.
        var object: T
        var stored: Entry
    }

    private struct State {
        var objects: [ObjectKey: Entry] = [:]
        var indexFunctions: [String: IndexFunction] = [:]
        var indexes: [String: [String: Postings]] = [:]
        /// Our own last write per object, until the watch catches up with it.
        var written: [ObjectKey: OwnWrite] = [:]
        /// Counts every change to the contents (see `revision`).
        var revision: UInt64 = 0
        /// Objects we deleted (or found gone) whose DELETED event has not arrived yet.
        var deleted: [ObjectKey: DeletedCopy] = [:]
    }

    /// The keys filed under one index value. Most values of an index such as a provider id name one object:
    /// that key is held as it is, a Set (a heap block of its own) only once a second key shares the value.
    private enum Postings {
        case one(ObjectKey)
        case many(Set<ObjectKey>)

        var keys: [ObjectKey] {
            switch self {
            case .one(let key): return [key]
            case .many(let keys): return Array(keys)
            }
        }

        /// Adds `key` in place (a shared Set would be copied whole: the namespace index holds every key).
        mutating func insert(_ key: ObjectKey) {
            switch self {
            case .one(let other):
                if other != key { self = .many([other, key]) }
            case .many(var keys):
                self = .one(key)  // lets go of the Set, so the insert below does not copy it
                keys.insert(key)
                self = .many(keys)
            }
        }

        /// Removes `key` in place; returns whether no key is left.
        mutating func remove(_ key: ObjectKey) -> Bool {
            switch self {
            case .one(let other):
                return other == key
            case .many(var keys):
                self = .one(key)
                keys.remove(key)
                if keys.count == 1, let last = keys.first { self = .one(last) } else { self = .many(keys) }
                return keys.isEmpty
            }
        }
    }

    /// What identifies a deleted object's copies: its uid, or (without uids) every version up to the last we saw.
    private struct DeletedCopy {
        var uid: String?
        var version: String?

        func matches(_ object: T) -> Bool {
            if let uid, let other = object.metadata.uid { return uid == other }
            return !ResourceVersion.isOlder(version, than: object.metadata.resourceVersion)
        }
    }

    private let state: Locked<State>
    private let transform: Transform?
    private let packing: Packing?
    /// Whether the namespace index is kept; without it a lookup by namespace scans the keys.
    private let indexesNamespaces: Bool
    private let synced = AsyncSignal()

    /// `indexesNamespaces`: false for a cache that another index already divides by namespace (lookups by namespace,
    /// rare there, scan the keys): with one namespace the index holds every key once more, 8 MiB at 100,000 objects.
    public init(transform: Transform? = nil, packing: Packing? = nil, indexes: [String: IndexFunction] = [:], indexesNamespaces: Bool = true) {
        self.transform = transform
        self.packing = packing
        self.indexesNamespaces = indexesNamespaces
        var s = State()
        if indexesNamespaces { s.indexFunctions[Self.namespaceIndex] = { [$0.metadata.namespace ?? ""] } }
        for (name, fn) in indexes { s.indexFunctions[name] = fn }
        state = Locked(s)
    }

    // MARK: Reads

    public func get(_ key: ObjectKey) -> T? { state.withLock { $0.objects[key] }.map { unpacked($0, key) } }

    public func get(name: String, namespace: String? = nil) -> T? { get(ObjectKey(namespace: namespace, name: name)) }

    public var count: Int { state.withLock { $0.objects.count } }

    /// Grows with every change to the contents (an object stored, replaced or removed): a reader that
    /// derives something from the cache (compiled rules) rebuilds it only when this moved.
    public var revision: UInt64 { state.withLock { $0.revision } }

    public func list() -> [T] { state.withLock { Array($0.objects) }.map { unpacked($0.value, $0.key) } }

    /// Visits every cached object without copying them into an array first (a scan of 100,000 objects
    /// through `list()` holds a second copy of the table while it runs). `body` runs under the cache's
    /// lock: it must be quick and must not call the store.
    public func forEach(_ body: (T) -> Void) {
        state.withLock { s in
            for (key, entry) in s.objects { body(unpacked(entry, key)) }
        }
    }

    /// Visits every cached object as the cache keeps it: `body` gets its packed form (nil without a `Packing`), the
    /// packing's string table (empty without one) and a way to unpack it, so a scan that needs a few fields can
    /// read them off the packed bytes (an unpacked CloudResource costs its strings, maps and lists). Runs under
    /// the cache's lock, like `forEach`; the table is taken under it too, so it numbers every stored object's strings.
    public func forEachStored(_ body: (_ packed: AnyObject?, _ strings: [String], _ unpack: () -> T) -> Void) {
        state.withLock { s in
            let table = packing?.strings?.withTable { $0 } ?? []
            for (key, entry) in s.objects {
                switch entry {
                case .object(let box): body(nil, table) { box.object }
                case .packed(let packed): body(packed, table) { packing!.unpack(packed, key) }
                }
            }
        }
    }

    public func keys() -> [ObjectKey] { state.withLock { Array($0.objects.keys) } }

    public func list(namespace: String) -> [T] { byIndex(Self.namespaceIndex, namespace) }

    /// Objects filed under `value` in index `name` (empty for an unknown index).
    public func byIndex(_ name: String, _ value: String) -> [T] {
        let entries = state.withLock { s -> [(key: ObjectKey, value: Entry)] in
            postings(name, value, s).compactMap { key in s.objects[key].map { (key, $0) } }
        }
        return entries.map { unpacked($0.value, $0.key) }
    }

    public func keys(index name: String, value: String) -> [ObjectKey] {
        state.withLock { s in postings(name, value, s) }
    }

    /// The values present in index `name`.
    public func indexValues(_ name: String) -> [String] {
        state.withLock { s in
            if name == Self.namespaceIndex && !indexesNamespaces { return Array(Set(s.objects.keys.map { $0.namespace ?? "" })) }
            return s.indexes[name].map { Array($0.keys) } ?? []
        }
    }

    /// The keys filed under `value` in index `name`; by namespace without its index, a scan of the keys.
    private func postings(_ name: String, _ value: String, _ s: State) -> [ObjectKey] {
        if name == Self.namespaceIndex && !indexesNamespaces { return s.objects.keys.filter { ($0.namespace ?? "") == value } }
        return s.indexes[name]?[value]?.keys ?? []
    }

    /// Registers an index, filing the objects already cached.
    public func addIndex(_ name: String, _ function: @escaping IndexFunction) {
        state.withLock { s in
            s.indexFunctions[name] = function
            s.indexes[name] = [:]
            for (key, entry) in s.objects {
                for v in function(unpacked(entry, key)) { file(key, under: v, in: name, &s) }
            }
        }
    }

    // MARK: Sync

    /// True once the first full list has been stored.
    public var hasSynced: Bool { synced.isSignalled }

    /// Returns once the first full list has been stored (or the calling task is cancelled).
    public func waitForSync() async { await synced.wait() }

    /// Like `waitForSync`, giving up after `timeout`; returns whether the cache synced.
    public func waitForSync(timeout: Duration) async -> Bool { await synced.wait(timeout: timeout) }

    // MARK: Read-your-own-writes

    /// Records the server's answer to this controller's own write of an object (create, update,
    /// patch, status). Until the watch catches up, reads return this version, not an older one.
    /// Returns false when the cache had that version (or a newer one) already: the watch was first.
    @discardableResult
    package func noteWrite(_ object: T) -> Bool {
        let obj = transform?(object) ?? object
        let key = ObjectKey(obj)
        guard let rv = obj.metadata.resourceVersion else { return false }
        return state.withLock { s in
            if let gone = s.deleted[key] {
                if gone.matches(obj) { return false }
                s.deleted.removeValue(forKey: key)
            }
            let current = cached(key, in: s)
            if let current, !ResourceVersion.isOlder(current.metadata.resourceVersion, than: rv) { return false }
            // A closure, not `\.before`: a key path into a generic type's nested struct is instantiated anew on every
            // call (1 % of the operator's CPU on a first discovery).
            let before = s.written[key].map { $0.before } ?? s.objects[key]
            let stored = store(obj, key: key, replacing: current, in: &s)
            s.written[key] = OwnWrite(version: rv, before: before, object: obj, stored: stored)
            return true
        }
    }

    /// Records that `object` (the copy this controller read) is gone from the server: deleted by us,
    /// or found missing. It leaves the cache now; its late watch states (and its DELETED event) are
    /// ignored, so reads never return it again. A cached object of that name with another uid is a
    /// new object and stays.
    package func noteDelete(_ object: T) {
        let key = ObjectKey(object)
        state.withLock { s in
            let current = cached(key, in: s)
            if let current, let gone = object.metadata.uid, let now = current.metadata.uid, gone != now { return }
            var version = object.metadata.resourceVersion
            if ResourceVersion.isOlder(version, than: current?.metadata.resourceVersion) { version = current?.metadata.resourceVersion }
            s.deleted[key] = DeletedCopy(uid: object.metadata.uid ?? current?.metadata.uid, version: version)
            s.written.removeValue(forKey: key)
            remove(key, in: &s)
        }
    }

    // MARK: Reflector input (returns the events to hand to handlers)

    /// Replaces the contents with a full list (initial list or relist after 410 / reconnect).
    /// Unchanged objects (same resourceVersion) produce no event.
    func replace(with items: [T]) -> [InformerEvent<T>] {
        let incoming = items.map { transform?($0) ?? $0 }
        // Our own writes newer than everything listed survive the relist (the list was older).
        let newestListed = incoming.lazy.compactMap { $0.metadata.resourceVersion.flatMap(UInt64.init) }.max()
        var events: [InformerEvent<T>] = []
        events.reserveCapacity(incoming.count)
        state.withLock { s in
            var seen = Set<ObjectKey>(minimumCapacity: incoming.count)
            for obj in incoming {
                let key = ObjectKey(obj)
                seen.insert(key)
                if let gone = s.deleted[key] {
                    if gone.matches(obj) { continue }  // the list is older than our delete
                    s.deleted.removeValue(forKey: key)
                }
                if let w = s.written[key]?.version {
                    if ResourceVersion.isOlder(obj.metadata.resourceVersion, than: w) { continue }
                    s.written.removeValue(forKey: key)
                }
                let old = cached(key, in: s)
                if let old, old.metadata.resourceVersion == obj.metadata.resourceVersion, old.metadata.resourceVersion != nil { continue }
                store(obj, key: key, replacing: old, in: &s)
                events.append(old.map { .updated(old: $0, new: obj, fromList: true) } ?? .added(obj, fromList: true))
            }
            // Deletions the list confirms need no remembering any more.
            for key in s.deleted.keys where !seen.contains(key) { s.deleted.removeValue(forKey: key) }
            let gone = s.objects.filter { !seen.contains($0.key) }
            for (key, entry) in gone {
                let old = unpacked(entry, key)
                if let w = s.written[key]?.version, let newestListed, let wv = UInt64(w), wv > newestListed { continue }
                s.written.removeValue(forKey: key)
                remove(key, in: &s)
                events.append(.deleted(old))
            }
        }
        synced.signal()
        return events
    }

    /// A watch ADDED or MODIFIED event.
    func apply(_ object: T) -> InformerEvent<T>? {
        if let echo = echo(of: object) { return echo }
        let obj = transform?(object) ?? object
        let key = ObjectKey(obj)
        return state.withLock { s -> InformerEvent<T>? in
            if let gone = s.deleted[key] {
                if gone.matches(obj) { return nil }
                s.deleted.removeValue(forKey: key)
            }
            if let w = s.written[key]?.version {
                if ResourceVersion.isOlder(obj.metadata.resourceVersion, than: w) { return nil }
                s.written.removeValue(forKey: key)
            }
            let old = cached(key, in: s)
            store(obj, key: key, replacing: old, in: &s)
            return old.map { .updated(old: $0, new: obj, fromList: false) } ?? .added(obj, fromList: false)
        }
    }

    /// The event for the watch's echo of our own last write (`noteWrite`) while the cache still holds that very
    /// version: it is not transformed, packed and indexed again, and handlers hear of it as of any watch event,
    /// from what the cache held before our first unechoed write to the cached copy (echoes of writes in between
    /// were dropped as older). Nil when `object` is anything else.
    private func echo(of object: T) -> InformerEvent<T>? {
        guard let version = object.metadata.resourceVersion else { return nil }
        let key = ObjectKey(object)
        let echoed = state.withLock { s -> EchoedWrite? in
            guard let write = s.written[key], write.version == version, s.deleted[key] == nil,
                  let entry = s.objects[key], entry.isSame(as: write.stored) else { return nil }
            s.written.removeValue(forKey: key)
            return EchoedWrite(current: write.object, before: write.before)
        }
        guard let echoed else { return nil }
        // After a create there is no earlier state; handlers have always heard of its echo as an update.
        let old = echoed.before.map { unpacked($0, key) } ?? echoed.current
        return .updated(old: old, new: echoed.current, fromList: false)
    }

    /// What `echo(of:)` finds under the lock; the state before the write is unpacked after it.
    private struct EchoedWrite {
        var current: T
        var before: Entry?
    }

    /// A watch DELETED event. A late one for an object we have since created again under the same name
    /// (another uid, or older than our write) is ignored: the cache keeps what we wrote.
    func delete(_ object: T) -> InformerEvent<T>? {
        let key = ObjectKey(object)
        return state.withLock { s -> InformerEvent<T>? in
            if let gone = s.deleted[key], gone.matches(object) {
                s.deleted.removeValue(forKey: key)
                // Our own delete, already applied to the cache: handlers still hear of it, as from any watch.
                if s.objects[key] == nil { return .deleted(transform?(object) ?? object) }
            }
            let current = cached(key, in: s)
            if let current {
                if let gone = object.metadata.uid, let now = current.metadata.uid, gone != now { return nil }
                if let w = s.written[key]?.version, ResourceVersion.isOlder(object.metadata.resourceVersion, than: w) { return nil }
            }
            s.written.removeValue(forKey: key)
            guard let old = current else { return nil }
            remove(key, in: &s)
            return .deleted(old)
        }
    }

    // MARK: Internals

    private func cached(_ key: ObjectKey, in s: borrowing State) -> T? {
        s.objects[key].map { unpacked($0, key) }
    }

    private func unpacked(_ entry: Entry, _ key: ObjectKey) -> T {
        switch entry {
        case .object(let box): return box.object
        case .packed(let packed): return packing!.unpack(packed, key)
        }
    }

    /// Stores `obj` under `key`; `old` is what the cache holds there now (read by the caller already). Returns the
    /// entry stored.
    @discardableResult
    private func store(_ obj: T, key: ObjectKey, replacing old: T?, in s: inout State) -> Entry {
        s.revision &+= 1
        if let old { unindex(old, key: key, in: &s) }
        let entry: Entry = packing.map { .packed($0.pack(obj)) } ?? .object(Box(obj))
        s.objects[key] = entry
        for (name, fn) in s.indexFunctions {
            for v in fn(obj) { file(key, under: v, in: name, &s) }
        }
        return entry
    }

    private func file(_ key: ObjectKey, under value: String, in index: String, _ s: inout State) {
        if s.indexes[index]?[value] == nil {
            s.indexes[index, default: [:]][value] = .one(key)
        } else {
            s.indexes[index]?[value]?.insert(key)
        }
    }

    private func remove(_ key: ObjectKey, in s: inout State) {
        guard let old = s.objects.removeValue(forKey: key).map({ unpacked($0, key) }) else { return }
        s.revision &+= 1
        unindex(old, key: key, in: &s)
    }

    private func unindex(_ obj: T, key: ObjectKey, in s: inout State) {
        for (name, fn) in s.indexFunctions {
            for v in fn(obj) where s.indexes[name]?[v]?.remove(key) == true { s.indexes[name]?[v] = nil }
        }
    }
}
