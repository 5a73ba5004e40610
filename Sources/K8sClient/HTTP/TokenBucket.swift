import Foundation

/// Client-side QPS limiting, a token bucket (like client-go's flowcontrol): `burst` requests may go
/// at once, then `qps` per second. Waiting happens outside the actor: `reserve` books a slot and says
/// how long to sleep, so one slow caller never blocks the others' bookkeeping.
public actor TokenBucket {
    public nonisolated let qps: Double
    public nonisolated let burst: Int
    private var tokens: Double
    private var last: Double
    private let now: @Sendable () -> Double
    /// Requests admitted so far (for tests and metrics).
    public private(set) var admitted = 0

    /// `now` returns seconds on a monotonic clock (injectable for tests).
    public init(qps: Double, burst: Int, now: @escaping @Sendable () -> Double = TokenBucket.monotonicSeconds) {
        self.qps = qps
        self.burst = max(burst, 1)
        self.tokens = Double(max(burst, 1))
        self.now = now
        self.last = now()
    }

    public static func monotonicSeconds() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }

    private func refill() {
        let t = now()
        if t > last {
            tokens = min(Double(burst), tokens + (t - last) * qps)
            last = t
        }
    }

    /// Takes a token and returns how long the caller must wait before using it (zero if one was free).
    public func reserve() -> Duration {
        refill()
        tokens -= 1
        admitted += 1
        if tokens >= 0 || qps <= 0 { return .zero }
        return .nanoseconds(Int64((-tokens / qps) * 1e9))
    }

    /// Takes a token only if one is free now.
    public func tryAcquire() -> Bool {
        refill()
        guard tokens >= 1 else { return false }
        tokens -= 1
        admitted += 1
        return true
    }

    /// Tokens available now (negative when callers are queued).
    public var available: Double {
        refill()
        return tokens
    }

    /// Waits for a token.
    public nonisolated func acquire() async throws {
        let wait = await reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
