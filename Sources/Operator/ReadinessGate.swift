import KubeCore

/// Readiness as /readyz reports it: false until every registered check (e.g. each informer's
/// cache) has reported ready, and false again once shutdown begins so traffic drains.
final class ReadinessGate: Sendable {
    private struct State {
        var pending: Set<String> = []
        var shuttingDown = false
    }

    private let state = Locked(State())

    init(checks: [String] = []) {
        state.withLock { $0.pending = Set(checks) }
    }

    /// Adds a check that must pass before the process is ready.
    func register(_ check: String) { state.withLock { _ = $0.pending.insert(check) } }

    func markReady(_ check: String) { state.withLock { _ = $0.pending.remove(check) } }

    func beginShutdown() { state.withLock { $0.shuttingDown = true } }

    /// nil when ready, else why not (for the probe's body).
    var notReadyReason: String? {
        state.withLock { s in
            if s.shuttingDown { return "shutting down" }
            if s.pending.isEmpty { return nil }
            return "waiting for: " + s.pending.sorted().joined(separator: ", ")
        }
    }
}
