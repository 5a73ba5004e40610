import Foundation
import KubeCore

/// Where one object lives.
struct ObjectKey: Hashable, Sendable {
    var type: String
    var namespace: String
    var name: String
}

/// A stored object and its compact JSON (serialised once per write; lists and watches reuse the bytes).
struct StoredObject: Sendable {
    var object: JSONValue
    var bytes: [UInt8]

    init(_ object: JSONValue) {
        self.object = object
        var b: [UInt8] = []
        b.reserveCapacity(512)
        object.write(into: &b)
        bytes = b
    }
}

/// A stored change as an in-process observer sees it (`KubeAPITestServer.observe`).
public struct ObservedChange: Sendable {
    /// ADDED, MODIFIED or DELETED.
    public var type: String
    /// "" for cluster-scoped kinds.
    public var namespace: String
    public var name: String
    /// The object as stored (its last state for a deletion).
    public var object: JSONValue
}

/// One retained change, for watches that resume from a resourceVersion.
struct LoggedEvent: Sendable {
    var rv: Int64
    var typeKey: String
    var type: String
    var namespace: String
    var name: String
    var labels: [String: String]
    /// Labels before a MODIFIED, so a selector watch can turn it into ADDED/DELETED like the watch cache.
    var oldLabels: [String: String]?
    var bytes: [UInt8]
}

/// A bounded ring of events ordered by resourceVersion.
struct EventLog: Sendable {
    private var buffer: [LoggedEvent] = []
    private var head = 0
    let capacity: Int
    /// Highest resourceVersion whose event is no longer retained (watches from below it get 410).
    private(set) var compactedRV: Int64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { buffer.count }

    mutating func append(_ e: LoggedEvent) {
        if buffer.count < capacity {
            buffer.append(e)
        } else {
            compactedRV = max(compactedRV, buffer[head].rv)
            buffer[head] = e
            head = (head + 1) % capacity
        }
    }

    mutating func compact(upTo rv: Int64) {
        buffer = []
        head = 0
        compactedRV = max(compactedRV, rv)
    }

    /// Events with rv > `after`, oldest first.
    func events(after: Int64) -> [LoggedEvent] {
        let n = buffer.count
        // Binary search over the logical order.
        var lo = 0, hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if buffer[(head + mid) % n].rv <= after { lo = mid + 1 } else { hi = mid }
        }
        return (lo..<n).map { buffer[(head + $0) % n] }
    }
}

/// An open watch stream.
struct Watcher: Sendable {
    var id: Int
    var typeKey: String
    var namespace: String?
    var labelSelector: LabelSelector
    var fieldSelector: FieldSelector?
    var bookmarks: Bool
    /// A BOOKMARK went out already (the pre-timeout bookmark is only sent to watches that had none).
    var sentBookmark = false
    /// apiVersion to present objects in (a non-storage served version rewrites it).
    var apiVersion: String
    var kind: String
    var sink: WatchSink

    func matches(namespace ns: String, name: String, labels: [String: String]) -> Bool {
        if let namespace, namespace != ns { return false }
        if let fieldSelector, !fieldSelector.matches({ f in
            switch f {
            case "metadata.name": return name
            case "metadata.namespace": return ns
            default: return nil
            }
        }) { return false }
        return labelSelector.matches(labels)
    }

    /// What this watcher sees of a change (nil = nothing), like the watch cache's filtering.
    func filter(_ e: LoggedEvent) -> String? {
        let now = matches(namespace: e.namespace, name: e.name, labels: e.labels)
        switch e.type {
        case "MODIFIED":
            let before = e.oldLabels.map { matches(namespace: e.namespace, name: e.name, labels: $0) } ?? now
            if now && before { return "MODIFIED" }
            if now { return "ADDED" }
            if before { return "DELETED" }
            return nil
        default:
            return now ? e.type : nil
        }
    }
}

func labelsOf(_ o: JSONValue) -> [String: String] {
    guard case .object(let l)? = o[path: "metadata", "labels"] else { return [:] }
    var out: [String: String] = [:]
    for (k, v) in l { if let s = v.stringValue { out[k] = s } }
    return out
}

/// `{"type":"X","object":...}\n`
func watchEventLine(_ type: String, _ objectBytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(objectBytes.count + 32)
    out.append(contentsOf: #"{"type":""#.utf8)
    out.append(contentsOf: type.utf8)
    out.append(contentsOf: #"","object":"#.utf8)
    out.append(contentsOf: objectBytes)
    out.append(contentsOf: "}\n".utf8)
    return out
}

/// The whole cluster state. Lives inside a `Locked` in `KubeAPITestServer`; every API call runs under it,
/// so resourceVersions, the event log and watch deliveries are totally ordered.
struct Cluster: Sendable {
    var rv: Int64 = 0
    var types: [String: ResourceType] = [:]
    /// type key -> namespace ("" for cluster-scoped) -> name -> object
    var objects: [String: [String: [String: StoredObject]]] = [:]
    /// Sorted names per type/namespace, rebuilt lazily after inserts/removals (lists return key order).
    var sortedNames: [String: [String: [String]]] = [:]
    var sortedNamespaces: [String: [String]] = [:]
    var log: EventLog
    var watchers: [String: [Int: Watcher]] = [:]
    var nextWatcherID = 1
    /// In-process observers of a type's changes (`KubeAPITestServer.observe`), by type key.
    var observers: [String: [@Sendable (ObservedChange) -> Void]] = [:]
    /// owner uid -> dependents (for garbage collection).
    var dependents: [String: Set<ObjectKey>] = [:]
    /// uid -> key of every live object.
    var uids: [String: ObjectKey] = [:]
    /// Deleting objects with a `foregroundDeletion` or `orphan` finalizer, for the garbage collector.
    var gcFinalizerPending: Set<ObjectKey> = []
    /// uids of removed owners whose dependents the garbage collector has yet to collect.
    var ownersGone: Set<String> = []
    /// Objects written with an owner reference to a uid that does not exist (yet).
    var danglingCandidates: Set<ObjectKey> = []
    /// Namespaces being deleted, for the namespace controller.
    var terminatingNamespaces: Set<String> = []

    /// etcd's compaction, which expires continue tokens and exact-revision lists.
    var storage: StorageCompaction

    init(watchWindow: Int, compactionInterval: Duration = .seconds(300)) {
        log = EventLog(capacity: watchWindow)
        storage = StorageCompaction(interval: compactionInterval)
        for t in ResourceType.builtIns { types[t.key] = t }
    }

    mutating func nextRV() -> Int64 {
        rv += 1
        storage.recordWrite(rv: rv)
        return rv
    }

    /// Highest revision lists can no longer be served at (etcd's compaction, or the watch cache's when the
    /// test compacted that).
    mutating func listCompactedRV(now: Date = Date()) -> Int64 {
        storage.advance(now: now)
        return max(storage.compactedRV, log.compactedRV)
    }

    func type(group: String, version: String, plural: String) -> ResourceType? {
        guard let t = types["\(group)/\(plural)"], t.version(version) != nil else { return nil }
        return t
    }

    func get(_ key: ObjectKey) -> StoredObject? { objects[key.type]?[key.namespace]?[key.name] }

    func namespaceExists(_ ns: String) -> Bool { objects["/namespaces"]?[""]?[ns] != nil }

    /// Sorted names in one namespace (or all namespaces when nil), as (namespace, name).
    mutating func sortedKeys(_ t: ResourceType, namespace: String?) -> [(String, String)] {
        let nss: [String]
        if let namespace { nss = [namespace] } else {
            if let c = sortedNamespaces[t.key] { nss = c } else {
                let s = (objects[t.key] ?? [:]).keys.sorted()
                sortedNamespaces[t.key] = s
                nss = s
            }
        }
        var out: [(String, String)] = []
        for ns in nss {
            guard let m = objects[t.key]?[ns], !m.isEmpty else { continue }
            let names: [String]
            if let c = sortedNames[t.key]?[ns] { names = c } else {
                names = m.keys.sorted()
                sortedNames[t.key, default: [:]][ns] = names
            }
            out.reserveCapacity(out.count + names.count)
            for n in names { out.append((ns, n)) }
        }
        return out
    }

    // MARK: writes (every change goes through here: indexes, event log, watchers)

    /// Stores `object` (whose metadata.resourceVersion is already set to `rv`) and announces it.
    mutating func put(_ t: ResourceType, _ key: ObjectKey, _ object: JSONValue, eventType: String, old: JSONValue?) {
        put(t, key, StoredObject(object), eventType: eventType, old: old)
    }

    /// Stores a written object under the next resourceVersion, serialized once: the bytes checked against etcd's
    /// limit are the ones stored, sent to watchers and answered with (`reply`). Refused past the limit (413) without
    /// taking a resourceVersion, as etcd stores nothing then.
    mutating func putWrite(_ t: ResourceType, _ key: ObjectKey, _ object: JSONValue, eventType: String, old: JSONValue?) throws -> StoredObject {
        var o = object
        o["metadata"]?["resourceVersion"] = .string(String(rv + 1))
        let stored = StoredObject(o)
        try Self.checkSize(stored.bytes)
        _ = nextRV()
        put(t, key, stored, eventType: eventType, old: old)
        return stored
    }

    /// Stores `stored` (serialized with its resourceVersion) and announces it to watchers and observers.
    mutating func put(_ t: ResourceType, _ key: ObjectKey, _ stored: StoredObject, eventType: String, old: JSONValue?) {
        let object = stored.object
        if old == nil {
            if objects[t.key]?[key.namespace] == nil {
                sortedNamespaces[t.key] = nil
            }
            sortedNames[t.key]?[key.namespace] = nil
        }
        objects[t.key, default: [:]][key.namespace, default: [:]][key.name] = stored
        if let uid = object[path: "metadata", "uid"]?.stringValue { uids[uid] = key }
        reindexOwners(key, old: old, new: object)
        let rvNow = Int64(object[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? rv
        announce(LoggedEvent(rv: rvNow, typeKey: t.key, type: eventType, namespace: key.namespace, name: key.name,
                             labels: labelsOf(object), oldLabels: old.map(labelsOf), bytes: stored.bytes), t)
        observers[t.key]?.forEach { $0(ObservedChange(type: eventType, namespace: key.namespace, name: key.name, object: object)) }
    }

    /// Removes an object for good; `final` is its last state with the deletion's resourceVersion.
    mutating func remove(_ t: ResourceType, _ key: ObjectKey, final: JSONValue) {
        guard objects[t.key]?[key.namespace]?.removeValue(forKey: key.name) != nil else { return }
        sortedNames[t.key]?[key.namespace] = nil
        if objects[t.key]?[key.namespace]?.isEmpty == true {
            objects[t.key]?[key.namespace] = nil
            sortedNamespaces[t.key] = nil
        }
        if let uid = final[path: "metadata", "uid"]?.stringValue { uids[uid] = nil }
        reindexOwners(key, old: final, new: nil)
        gcFinalizerPending.remove(key)
        let stored = StoredObject(final)
        let rvNow = Int64(final[path: "metadata", "resourceVersion"]?.stringValue ?? "") ?? rv
        announce(LoggedEvent(rv: rvNow, typeKey: t.key, type: "DELETED", namespace: key.namespace, name: key.name,
                             labels: labelsOf(final), oldLabels: nil, bytes: stored.bytes), t)
        observers[t.key]?.forEach { $0(ObservedChange(type: "DELETED", namespace: key.namespace, name: key.name, object: final)) }
    }

    mutating func reindexOwners(_ key: ObjectKey, old: JSONValue?, new: JSONValue?) {
        func owners(_ o: JSONValue?) -> Set<String> {
            Set((o?[path: "metadata", "ownerReferences"]?.arrayValue ?? []).compactMap { $0["uid"]?.stringValue })
        }
        let before = owners(old), after = owners(new)
        if before == after { return }
        for u in before.subtracting(after) {
            dependents[u]?.remove(key)
            if dependents[u]?.isEmpty == true { dependents[u] = nil }
        }
        for u in after.subtracting(before) {
            dependents[u, default: []].insert(key)
            if uids[u] == nil { danglingCandidates.insert(key) }
        }
    }

    mutating func announce(_ e: LoggedEvent, _ t: ResourceType) {
        log.append(e)
        guard let ws = watchers[t.key] else { return }
        for w in ws.values {
            guard let type = w.filter(e) else { continue }
            w.sink.send(watchEventLine(type, present(e.bytes, t, w.apiVersion)))
        }
    }

    /// Bytes of an object as seen through `apiVersion` (only differs for non-storage served versions).
    func present(_ bytes: [UInt8], _ t: ResourceType, _ apiVersion: String) -> [UInt8] {
        if apiVersion == t.apiVersion(t.storageVersion.name) { return bytes }
        guard var o = try? JSONValue.parseFast(Data(bytes)) else { return bytes }
        o["apiVersion"] = .string(apiVersion)
        var out: [UInt8] = []
        o.write(into: &out)
        return out
    }

    // MARK: watches

    mutating func addWatcher(_ w: Watcher) {
        watchers[w.typeKey, default: [:]][w.id] = w
    }

    mutating func removeWatcher(typeKey: String, id: Int) -> Watcher? {
        watchers[typeKey]?.removeValue(forKey: id)
    }

    func watcher(typeKey: String, id: Int) -> Watcher? { watchers[typeKey]?[id] }

    /// Sends a BOOKMARK to one watcher (`onlyIfNone`: the cacher's pre-timeout bookmark).
    mutating func sendBookmark(typeKey: String, id: Int, onlyIfNone: Bool = false) {
        guard let w = watchers[typeKey]?[id], !(onlyIfNone && w.sentBookmark) else { return }
        w.sink.send(bookmark(w))
        watchers[typeKey]?[id]?.sentBookmark = true
    }

    /// A BOOKMARK line: only kind, apiVersion and metadata.resourceVersion (plus the initial-events-end annotation).
    func bookmark(_ w: Watcher, initialEventsEnd: Bool = false) -> [UInt8] {
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(rv))]
        if initialEventsEnd { meta["annotations"] = .object(["k8s.io/initial-events-end": "true"]) }
        let o: JSONValue = .object(["kind": .string(w.kind), "apiVersion": .string(w.apiVersion), "metadata": .object(meta)])
        var b: [UInt8] = []
        o.write(into: &b)
        return watchEventLine("BOOKMARK", b)
    }

    mutating func closeAllWatches() -> [WatchSink] {
        let sinks = watchers.values.flatMap { $0.values.map(\.sink) }
        watchers = [:]
        return sinks
    }
}
