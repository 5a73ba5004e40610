import KubeCore

/// A one-shot event tasks can wait for: "caches synced", "shutdown requested", "drained".
/// Once signalled it stays signalled; waiting is cancellable.
public final class AsyncSignal: Sendable {
    private struct State {
        var signalled = false
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Locked(State())

    public init() {}

    public var isSignalled: Bool { state.withLock { $0.signalled } }

    public func signal() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.signalled else { return [] }
            s.signalled = true
            defer { s.waiters.removeAll() }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    /// Returns once signalled, or at once when the calling task is cancelled (check `isSignalled`).
    public func wait() async {
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.signalled || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Waits at most `timeout` on `clock`; returns whether the signal came.
    public func wait(timeout: Duration, clock: any RuntimeClock = SystemRuntimeClock()) async -> Bool {
        if isSignalled { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.wait(); return self.isSignalled }
            group.addTask { try? await clock.sleep(for: timeout); return self.isSignalled }
            let first = await group.next() ?? false
            group.cancelAll()
            return first || isSignalled
        }
    }

    /// Waits until this signal or `other` comes (or the task is cancelled); returns whether this one did.
    public func waitUnless(_ other: AsyncSignal) async -> Bool {
        if isSignalled { return true }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.wait() }
            group.addTask { await other.wait() }
            await group.next()
            group.cancelAll()
        }
        return isSignalled
    }
}
