import KubeCore

/// Which informer events may enqueue keys for a controller (controller-runtime's predicates). A
/// creation, a deletion and an event from a list or relist always pass unless a predicate says
/// otherwise; predicates are about updates.
public struct EventPredicate<T: KubernetesObject>: Sendable {
    public let admits: @Sendable (InformerEvent<T>) -> Bool
    /// Where events the predicate held back come out again: `Controller.watch` reconciles the keys they
    /// fire, so no user of a holding predicate has to remember to.
    public let releases: [ReconcileTrigger]

    public init(_ admits: @escaping @Sendable (InformerEvent<T>) -> Bool) {
        self.admits = admits
        self.releases = []
    }

    /// A predicate that asks `writes` whether an event is an echo (`OwnWrites.isEcho`), which may hold an
    /// event until a write in flight is answered: held events that were not the echo are reconciled.
    public init(echoesOf writes: OwnWrites, _ admits: @escaping @Sendable (InformerEvent<T>) -> Bool) {
        self.admits = admits
        self.releases = [writes.released]
    }

    private init(admits: @escaping @Sendable (InformerEvent<T>) -> Bool, releases: [ReconcileTrigger]) {
        self.admits = admits
        self.releases = releases
    }

    /// Lets through only updates for which `changed(old, new)` holds (creations, deletions and list
    /// events always pass).
    public static func updates(where changed: @escaping @Sendable (_ old: T, _ new: T) -> Bool) -> Self {
        Self { event in
            guard case .updated(let old, let new, let fromList) = event, !fromList else { return true }
            return changed(old, new)
        }
    }

    /// Drops the watch's echo of a write the controller made itself through a `CacheAwareApi` recording
    /// into `writes`: it has acted on that state already, and reconciling it again would only repeat
    /// the work. Writes by anyone else (another controller of this process included) pass.
    public static func notOwnWrite(_ writes: OwnWrites) -> Self {
        Self(echoesOf: writes) { event in
            switch event {
            case .updated(_, let new, let fromList): return fromList || !writes.isEcho(new)
            case .added(let new, let fromList): return fromList || !writes.isEcho(new)
            case .deleted(let old):
                writes.forget(ObjectKey(old))
                return true
            }
        }
    }

    /// Lets through only updates that changed what the controller acts on: `metadata.generation` (the
    /// API server bumps it on a spec change, never on a status write) or the start of deletion.
    public static var generationChanged: Self {
        updates { old, new in
            old.metadata.generation != new.metadata.generation || old.metadata.deletionTimestamp != new.metadata.deletionTimestamp
        }
    }

    /// Both predicates must admit the event.
    public func and(_ other: Self) -> Self {
        let first = admits
        return Self(admits: { first($0) && other.admits($0) }, releases: releases + other.releases)
    }
}
