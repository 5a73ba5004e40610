/// The time source of the runtime (work queue delays, backoff, leader election). Injectable so tests
/// check backoff growth and requeue-after by logic, never by wall time.
public protocol RuntimeClock: Sendable {
    var now: ContinuousClock.Instant { get }
    /// Sleeps until `deadline`; throws CancellationError when the task is cancelled.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension RuntimeClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now.advanced(by: duration))
    }
}

/// Wall-clock time (monotonic).
public struct SystemRuntimeClock: RuntimeClock {
    public init() {}
    public var now: ContinuousClock.Instant { ContinuousClock.now }
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        try await Task.sleep(until: deadline, clock: .continuous)
    }
}
