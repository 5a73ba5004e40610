import DequeModule
import KubeCore

/// Client-side pacing without a fixed ceiling: how many requests a client keeps in flight, adapted to the
/// API server's answers the way TCP adapts its window (AIMD). While answers come back fast the limit
/// grows (doubling until the first sign of strain, then by one per limit's worth of answers); a 429 halves
/// it and holds every new request until its Retry-After has passed (what the server's API Priority and
/// Fairness asks of clients); answers much slower than the fastest recent one shrink it by a tenth. So a
/// client goes as fast as the server takes and no faster, whatever the server's size.
///
/// Two lanes: `interactive` (the default) is admitted before `bulk`. A bulk writer (discovery creating
/// thousands of objects) marks its requests with `AdaptivePacing.$lane.withValue(.bulk) { ... }` and
/// then never keeps a reconcile's write waiting behind its backlog. Watches are not paced (they last).
public final class AdaptivePacing: Sendable {
    public struct Settings: Sendable, Hashable {
        /// Requests in flight at the start.
        public var initialLimit: Int
        public var minLimit: Int
        /// Upper bound (the HTTP client's connection pool is 64 per host).
        public var maxLimit: Int
        /// An answer slower than this many times the fastest recent one, and `latencySlack` slower than
        /// it, is taken as the server straining.
        public var latencyTolerance: Double
        public var latencySlack: Duration
        /// Longest hold after a 429 (a Retry-After beyond it is capped).
        public var maxHold: Duration

        public init(initialLimit: Int = 4, minLimit: Int = 1, maxLimit: Int = 64, latencyTolerance: Double = 4,
                    latencySlack: Duration = .milliseconds(50), maxHold: Duration = .seconds(30)) {
            self.minLimit = max(1, minLimit)
            self.maxLimit = max(self.minLimit, maxLimit)
            self.initialLimit = min(max(initialLimit, self.minLimit), self.maxLimit)
            self.latencyTolerance = max(1, latencyTolerance)
            self.latencySlack = latencySlack
            self.maxHold = maxHold
        }
    }

    public enum Lane: Sendable, Hashable {
        /// Reconciles, reads, Events, leases: admitted first.
        case interactive
        /// Bulk writes that may wait (discovery's creates and patches).
        case bulk
    }

    /// The lane of the requests the current task sends.
    @TaskLocal public static var lane: Lane = .interactive

    /// How a paced request ended, for the limit.
    public enum Outcome: Sendable {
        /// The server answered (any status but 429) after `latency`; `representative` is false for answers
        /// whose time says nothing about load (lists of a whole kind).
        case answered(latency: Duration, representative: Bool)
        /// 429 Too Many Requests, with the server's Retry-After if it sent one.
        case throttled(retryAfter: Duration?)
        /// No answer (transport failure, cancellation): says nothing about the server's load.
        case failed
    }

    private struct Waiter {
        var id: UInt64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var limit: Double
        var inFlight = 0
        var interactive = Deque<Waiter>()
        var bulk = Deque<Waiter>()
        var nextID: UInt64 = 0
        /// Until then nothing new is admitted (a 429's Retry-After).
        var holdUntil: ContinuousClock.Instant?
        /// The fastest recent representative answer (drifts up slowly, so one lucky answer does not pin it).
        var baseline: Duration?
        var lastDecrease: ContinuousClock.Instant?
        /// Doubling until the first decrease.
        var slowStart = true
        var throttled = 0
        var decreases = 0

        mutating func takeAdmissible() -> [Waiter] {
            var admitted: [Waiter] = []
            while inFlight < Int(limit), let next = interactive.popFirst() ?? bulk.popFirst() {
                inFlight += 1
                admitted.append(next)
            }
            return admitted
        }
    }

    public let settings: Settings
    private let state: Locked<State>

    public init(_ settings: Settings = Settings()) {
        self.settings = settings
        state = Locked(State(limit: Double(settings.initialLimit)))
    }

    /// Requests that may be in flight now.
    public var limit: Int { state.withLock { Int($0.limit) } }
    public var inFlight: Int { state.withLock { $0.inFlight } }
    /// 429 answers seen so far.
    public var throttledCount: Int { state.withLock { $0.throttled } }
    /// Times the limit was lowered (429 or slow answers).
    public var decreaseCount: Int { state.withLock { $0.decreases } }
    /// Whether new requests are held now (a 429's Retry-After has not passed).
    public var isHolding: Bool { state.withLock { s in s.holdUntil.map { $0 > .now } ?? false } }
    /// Requests waiting for a slot, by lane.
    public func queued(_ lane: Lane) -> Int { state.withLock { lane == .interactive ? $0.interactive.count : $0.bulk.count } }

    /// Waits until the request may go (a slot free, its lane's turn, no hold); then it holds a slot until
    /// `release`. Throws CancellationError when the task is cancelled while waiting.
    public func acquire() async throws {
        let lane = Self.lane
        while let until = state.withLock({ $0.holdUntil }), until > .now {
            try await Task.sleep(until: until, clock: .continuous)
        }
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                enum Admission { case now, cancelled, queued }
                let admission = state.withLock { s -> Admission in
                    if Task.isCancelled { return .cancelled }
                    // Nobody queued ahead in a lane that goes first: take a free slot at once.
                    let ahead = lane == .interactive ? !s.interactive.isEmpty : !(s.interactive.isEmpty && s.bulk.isEmpty)
                    if !ahead && s.inFlight < Int(s.limit) {
                        s.inFlight += 1
                        return .now
                    }
                    if lane == .interactive { s.interactive.append(Waiter(id: id, continuation: c)) } else { s.bulk.append(Waiter(id: id, continuation: c)) }
                    return .queued
                }
                switch admission {
                case .now: c.resume()
                case .cancelled: c.resume(throwing: CancellationError())
                case .queued: break
                }
            }
        } onCancel: {
            let removed = state.withLock { s -> Waiter? in
                if let i = s.interactive.firstIndex(where: { $0.id == id }) { return s.interactive.remove(at: i) }
                if let i = s.bulk.firstIndex(where: { $0.id == id }) { return s.bulk.remove(at: i) }
                return nil
            }
            removed?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Gives the slot back and adapts the limit to how the request ended.
    public func release(_ outcome: Outcome) {
        let now = ContinuousClock.now
        let admitted = state.withLock { s -> [Waiter] in
            let wasFull = s.inFlight >= Int(s.limit)
            s.inFlight = max(0, s.inFlight - 1)
            switch outcome {
            case .failed:
                break
            case .throttled(let retryAfter):
                s.throttled += 1
                let hold = min(retryAfter ?? .seconds(1), settings.maxHold)
                s.holdUntil = max(s.holdUntil ?? now, now + hold)
                decrease(&s, factor: 0.5, now: now, cooldown: hold)
            case .answered(let latency, let representative):
                guard representative else { break }
                let baseline = s.baseline.map { latency < $0 ? latency : $0 + (latency - $0) / 100 } ?? latency
                s.baseline = baseline
                if latency > baseline * settings.latencyTolerance && latency > baseline + settings.latencySlack {
                    decrease(&s, factor: 0.9, now: now, cooldown: latency)
                } else if wasFull || s.inFlight + 1 >= Int(s.limit) {
                    // Grow only a limit that is being used (an idle client proves nothing).
                    s.limit = min(Double(settings.maxLimit), s.limit + (s.slowStart ? 1 : 1 / s.limit))
                }
            }
            return s.takeAdmissible()
        }
        for w in admitted { w.continuation.resume() }
    }

    /// Lowers the limit, at most once per `cooldown` (the answers of one overloaded moment count once).
    private func decrease(_ s: inout State, factor: Double, now: ContinuousClock.Instant, cooldown: Duration) {
        if let last = s.lastDecrease, now - last < cooldown { return }
        s.lastDecrease = now
        s.slowStart = false
        s.decreases += 1
        s.limit = max(Double(settings.minLimit), (s.limit * factor).rounded(.down))
    }
}
