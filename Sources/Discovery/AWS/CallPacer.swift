/// Spaces calls at least `interval` apart, whoever makes them (the Resource Groups Tagging API allows GetResources 15 times a
/// second per account and region); callers wait their turn in order.
actor CallPacer {
    nonisolated let interval: Duration
    private var next: ContinuousClock.Instant?

    /// Rounded up to whole nanoseconds, so N + 1 calls never fit in less than a second.
    init(callsPerSecond: Int) {
        let n = Int64(max(callsPerSecond, 1))
        interval = .nanoseconds((1_000_000_000 + n - 1) / n)
    }

    /// A fractional rate (write-back's 5 calls a second may be set lower), rounded up likewise.
    init(callsPerSecond: Double) {
        interval = .nanoseconds(Int64((1_000_000_000 / max(callsPerSecond, 0.001)).rounded(.up)))
    }

    /// Takes the next free slot at or after `now`.
    func reserve(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let slot = max(next ?? now, now)
        next = slot + interval
        return slot
    }

    func wait() async throws {
        let now = ContinuousClock.now
        let slot = reserve(at: now)
        if slot > now { try await Task.sleep(until: slot, clock: .continuous) }
    }
}
