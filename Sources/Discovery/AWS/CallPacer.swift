/// Spaces calls at least `interval` apart (the Resource Groups Tagging API allows GetResources 15 times a
/// second per account and region); callers wait their turn in order.
actor CallPacer {
    private let interval: Duration
    private var next: ContinuousClock.Instant?

    init(callsPerSecond: Int) { interval = .seconds(1) / max(callsPerSecond, 1) }

    func wait() async throws {
        let now = ContinuousClock.now
        let slot = max(next ?? now, now)
        next = slot + interval
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
