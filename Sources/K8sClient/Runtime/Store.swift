import Synchronization

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
/// - Read-your-own-writes: after writing an object, a controller calls `noteWrite` with the
///   server's answer. Until the watch delivers that resourceVersion (or a newer one), the cache
///   keeps the written object and ignores older watch states of it, so a reconcile never acts on a
///   cache older than its own last write. See `ResourceVersion` for how versions are ordered.
public final class Store<T: KubernetesObject>: Sendable {
    public typealias IndexFunction = @Sendable (T) -> [String]
    public typealias Transform = @Sendable (T) -> T

    /// Name of the built-in index by namespace ("" for cluster-scoped objects).
    public static var namespaceIndex: String { "namespace" }

    private struct State {
        var objects: [ObjectKey: T] = [:]
        var indexFunctions: [String: IndexFunction] = [:]
        var indexes: [String: [String: Set<ObjectKey>]] = [:]
        /// resourceVersion of our own last write per object, until the watch catches up with it.
        var written: [ObjectKey: String] = [:]
    }

    private let state: Mutex<State>
    private let transform: Transform?
    private let synced = AsyncSignal()

    public init(transform: Transform? = nil, indexes: [String: IndexFunction] = [:]) {
        self.transform = transform
        var s = State()
        s.indexFunctions[Self.namespaceIndex] = { [$0.metadata.namespace ?? ""] }
        for (name, fn) in indexes { s.indexFunctions[name] = fn }
        state = Mutex(s)
    }

    // MARK: Reads

    public func get(_ key: ObjectKey) -> T? { state.withLock { $0.objects[key] } }

    public func get(name: String, namespace: String? = nil) -> T? { get(ObjectKey(namespace: namespace, name: name)) }

    public var count: Int { state.withLock { $0.objects.count } }

    public func list() -> [T] { state.withLock { Array($0.objects.values) } }

    public func keys() -> [ObjectKey] { state.withLock { Array($0.objects.keys) } }

    public func list(namespace: String) -> [T] { byIndex(Self.namespaceIndex, namespace) }

    /// Objects filed under `value` in index `name` (empty for an unknown index).
    public func byIndex(_ name: String, _ value: String) -> [T] {
        state.withLock { s in
            guard let keys = s.indexes[name]?[value] else { return [] }
            return keys.compactMap { s.objects[$0] }
        }
    }

    public func keys(index name: String, value: String) -> [ObjectKey] {
        state.withLock { s in s.indexes[name]?[value].map(Array.init) ?? [] }
    }

    /// The values present in index `name`.
    public func indexValues(_ name: String) -> [String] {
        state.withLock { s in s.indexes[name].map { Array($0.keys) } ?? [] }
    }

    /// Registers an index, filing the objects already cached.
    public func addIndex(_ name: String, _ function: @escaping IndexFunction) {
        state.withLock { s in
            s.indexFunctions[name] = function
            s.indexes[name] = [:]
            for (key, obj) in s.objects {
                for v in function(obj) { s.indexes[name, default: [:]][v, default: []].insert(key) }
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
    public func noteWrite(_ object: T) {
        let obj = transform?(object) ?? object
        let key = ObjectKey(obj)
        guard let rv = obj.metadata.resourceVersion else { return }
        state.withLock { s in
            if let current = s.objects[key], !ResourceVersion.isOlder(current.metadata.resourceVersion, than: rv) { return }
            Self.store(obj, key: key, in: &s)
            s.written[key] = rv
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
                if let w = s.written[key] {
                    if ResourceVersion.isOlder(obj.metadata.resourceVersion, than: w) { continue }
                    s.written.removeValue(forKey: key)
                }
                let old = s.objects[key]
                if let old, old.metadata.resourceVersion == obj.metadata.resourceVersion, old.metadata.resourceVersion != nil { continue }
                Self.store(obj, key: key, in: &s)
                events.append(old.map { .updated(old: $0, new: obj, fromList: true) } ?? .added(obj, fromList: true))
            }
            let gone = s.objects.filter { !seen.contains($0.key) }
            for (key, old) in gone {
                if let w = s.written[key], let newestListed, let wv = UInt64(w), wv > newestListed { continue }
                s.written.removeValue(forKey: key)
                Self.remove(key, in: &s)
                events.append(.deleted(old))
            }
        }
        synced.signal()
        return events
    }

    /// A watch ADDED or MODIFIED event.
    func apply(_ object: T) -> InformerEvent<T>? {
        let obj = transform?(object) ?? object
        let key = ObjectKey(obj)
        return state.withLock { s -> InformerEvent<T>? in
            if let w = s.written[key] {
                if ResourceVersion.isOlder(obj.metadata.resourceVersion, than: w) { return nil }
                s.written.removeValue(forKey: key)
            }
            let old = s.objects[key]
            Self.store(obj, key: key, in: &s)
            return old.map { .updated(old: $0, new: obj, fromList: false) } ?? .added(obj, fromList: false)
        }
    }

    /// A watch DELETED event. A late one for an object we have since created again under the same name
    /// (another uid, or older than our write) is ignored: the cache keeps what we wrote.
    func delete(_ object: T) -> InformerEvent<T>? {
        let key = ObjectKey(object)
        return state.withLock { s -> InformerEvent<T>? in
            if let current = s.objects[key] {
                if let gone = object.metadata.uid, let now = current.metadata.uid, gone != now { return nil }
                if let w = s.written[key], ResourceVersion.isOlder(object.metadata.resourceVersion, than: w) { return nil }
            }
            s.written.removeValue(forKey: key)
            guard let old = s.objects[key] else { return nil }
            Self.remove(key, in: &s)
            return .deleted(old)
        }
    }

    /// Every cached object as a resync event (periodic re-evaluation).
    func resyncEvents() -> [InformerEvent<T>] {
        state.withLock { s in s.objects.values.map { .updated(old: $0, new: $0, fromList: true) } }
    }

    // MARK: Internals

    private static func store(_ obj: T, key: ObjectKey, in s: inout State) {
        if let old = s.objects[key] { unindex(old, key: key, in: &s) }
        s.objects[key] = obj
        for (name, fn) in s.indexFunctions {
            for v in fn(obj) { s.indexes[name, default: [:]][v, default: []].insert(key) }
        }
    }

    private static func remove(_ key: ObjectKey, in s: inout State) {
        guard let old = s.objects.removeValue(forKey: key) else { return }
        unindex(old, key: key, in: &s)
    }

    private static func unindex(_ obj: T, key: ObjectKey, in s: inout State) {
        for (name, fn) in s.indexFunctions {
            for v in fn(obj) {
                s.indexes[name]?[v]?.remove(key)
                if s.indexes[name]?[v]?.isEmpty == true { s.indexes[name]?[v] = nil }
            }
        }
    }
}
