import KubeCore

/// Keys handed to a controller from outside its watches (kube-rs's `reconcile_on`): one reconciler
/// asking another controller to look at some objects, or a runnable asking for every object again.
///
/// `fire` only files the keys; the controller that `reconcileOn`s this trigger moves them into its
/// queue from its own task, in order, and stops when it stops. So firing never starts a task of its
/// own and never blocks the reconcile that fires.
public final class ReconcileTrigger: Sendable {
    /// One firing (a named struct, not a tuple: see docs/ARCHITECTURE.md, "Rules").
    public struct Batch: Sendable, Equatable {
        public var keys: [ObjectKey]
        public var lane: QueueLane
    }

    private let pending = Locked<[Batch]>([])
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    public init() {
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for `keys` to be reconciled (in `lane`).
    public func fire(_ keys: [ObjectKey], lane: QueueLane = .normal) {
        guard !keys.isEmpty else { return }
        pending.withLock { $0.append(Batch(keys: keys, lane: lane)) }
        wake.yield()
    }

    /// Takes every batch fired and not yet taken, oldest first.
    public func take() -> [Batch] {
        pending.withLock { p in
            defer { p.removeAll() }
            return p
        }
    }

    /// Hands every batch to `deliver` as it is fired, until the calling task is cancelled. One caller
    /// at a time (the controller's).
    func drain(_ deliver: (Batch) async -> Void) async {
        var wakeups = self.wakeups.makeAsyncIterator()
        while !Task.isCancelled {
            for batch in take() { await deliver(batch) }
            guard await wakeups.next() != nil else { return }
        }
    }
}
