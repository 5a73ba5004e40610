import KubeCore
import Synchronization

/// The resourceVersions one controller wrote, until their watch echo arrives: what lets the
/// `EventPredicate.notOwnWrite` predicate tell the echo of this controller's own write (nothing new to
/// act on) from a change made by anyone else, another controller of this process included.
///
/// A `CacheAwareApi` built with `ownWrites:` records every answer here; the predicate consumes the
/// record when the echo passes. At most one record per object (the last write), dropped on deletion.
/// An echo the watch delivers before the write's answer arrives cannot be known as ours: it is
/// reconciled (one extra reconcile, never a missed one).
public final class OwnWrites: Sendable {
    private let written = Locked<[ObjectKey: String]>([:])
    private let skipped = Atomic<Int>(0)

    public init() {}

    /// Records the server's answer to one of our writes.
    public func record(_ object: some KubernetesObject) {
        guard let version = object.metadata.resourceVersion else { return }
        written.withLock { $0[ObjectKey(object)] = version }
    }

    /// Whether `object` is the echo of our last write of it; consumes the record when it is.
    public func isEcho(_ object: some KubernetesObject) -> Bool {
        guard let version = object.metadata.resourceVersion else { return false }
        let key = ObjectKey(object)
        return written.withLock { w in
            guard w[key] == version else { return false }
            w.removeValue(forKey: key)
            skipped.add(1, ordering: .relaxed)
            return true
        }
    }

    /// How many echoes were known as ours so far (each one a reconcile saved).
    public var echoesSeen: Int { skipped.load(ordering: .relaxed) }

    /// Drops the record of `object`'s write if it is still the last one (its echo came before its answer).
    public func discard(_ object: some KubernetesObject) {
        let key = ObjectKey(object)
        written.withLock { w in
            if w[key] == object.metadata.resourceVersion { w.removeValue(forKey: key) }
        }
    }

    func forget(_ key: ObjectKey) {
        _ = written.withLock { $0.removeValue(forKey: key) }
    }

    /// Number of writes whose echo has not arrived (for tests and debugging).
    public var pending: Int { written.withLock { $0.count } }
}
