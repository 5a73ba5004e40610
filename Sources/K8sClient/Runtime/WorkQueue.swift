import DequeModule
import HeapModule
import KubeCore
import Metrics

/// Which line a key waits in. Keys from an initial list, a relist or a periodic resync go in `.low`;
/// keys from watch events (something just changed) go in `.normal`, so a startup flood of 100,000
/// listed objects does not delay the object a user edits meanwhile. Low is not starved either:
/// one pop in every `lowLaneShare` takes from it while both lines have work.
public enum QueueLane: Sendable, Hashable {
    case normal
    case low
}

/// A rate-limited, deduplicating work queue with client-go's semantics:
/// - a key is queued at most once (adds of a queued key are merged; a `.normal` add promotes a `.low` key);
/// - a key is never handed to two workers at once; a key added while it is being processed is queued
///   again when its worker calls `done` (the "dirty" set);
/// - `addRateLimited` re-adds a key after a per-key exponential backoff (5 ms doubling to 1000 s by
///   default), `forget` resets it; `addAfter` re-adds after a delay (requeue-after);
/// - `shutDown` stops intake and hands out no more keys; `shutDownWithDrain` also waits (up to a
///   deadline) for keys being processed to be `done`.
/// Metrics use controller-runtime's names (`workqueue_*`, label `name`).
public actor WorkQueue<Key: Hashable & Sendable> {
    public struct Configuration: Sendable {
        /// Label `name` of the metrics.
        public var name: String
        public var baseDelay: Duration
        public var maxDelay: Duration
        /// While both lanes have keys, one pop in this many takes from the low lane.
        public var lowLaneShare: Int
        public var clock: any RuntimeClock
        public var metricsFactory: any MetricsFactory

        public init(
            name: String, baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000),
            lowLaneShare: Int = 8, clock: any RuntimeClock = SystemRuntimeClock(),
            metricsFactory: any MetricsFactory = MetricsSystem.factory
        ) {
            self.name = name
            self.baseDelay = baseDelay
            self.maxDelay = maxDelay
            self.lowLaneShare = max(2, lowLaneShare)
            self.clock = clock
            self.metricsFactory = metricsFactory
        }
    }

    private struct Queued {
        var lane: QueueLane
        var addedAt: ContinuousClock.Instant
    }

    private struct Delayed: Comparable {
        var readyAt: ContinuousClock.Instant
        var seq: UInt64
        var key: Key
        var lane: QueueLane
        static func < (a: Delayed, b: Delayed) -> Bool { (a.readyAt, a.seq) < (b.readyAt, b.seq) }
        static func == (a: Delayed, b: Delayed) -> Bool { a.seq == b.seq }
    }

    public let configuration: Configuration
    private let clock: any RuntimeClock

    // Lanes may hold stale entries (a key promoted to normal, or already popped); `queued` is the truth.
    private var normalLane = Deque<Key>()
    private var lowLane = Deque<Key>()
    private var queued: [Key: Queued] = [:]
    private var processing: [Key: ContinuousClock.Instant] = [:]
    private var dirty: [Key: QueueLane] = [:]
    private var pops: UInt64 = 0

    private var delayed = Heap<Delayed>()
    private var delayedUntil: [Key: ContinuousClock.Instant] = [:]
    private var delayedSeq: UInt64 = 0
    private var timer: (task: Task<Void, Never>, deadline: ContinuousClock.Instant, id: UInt64)?
    private var timerID: UInt64 = 0

    private var failures: [Key: Int] = [:]

    private var getters = Deque<(id: UInt64, continuation: CheckedContinuation<Key?, Never>)>()
    private var getterID: UInt64 = 0
    private var shuttingDown = false
    private let drained = AsyncSignal()
    private var gaugeTicker: Task<Void, Never>?

    private let depthGauge: Gauge
    private let addsCounter: Counter
    private let queueDuration: Metrics.Timer
    private let workDuration: Metrics.Timer
    private let retriesCounter: Counter
    private let longestRunningGauge: Gauge
    private let unfinishedWorkGauge: Gauge

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        self.clock = configuration.clock
        let dims = [("name", configuration.name)]
        let f = configuration.metricsFactory
        depthGauge = Gauge(label: "workqueue_depth", dimensions: dims, factory: f)
        addsCounter = Counter(label: "workqueue_adds_total", dimensions: dims, factory: f)
        queueDuration = Metrics.Timer(label: "workqueue_queue_duration_seconds", dimensions: dims, preferredDisplayUnit: .seconds, factory: f)
        workDuration = Metrics.Timer(label: "workqueue_work_duration_seconds", dimensions: dims, preferredDisplayUnit: .seconds, factory: f)
        retriesCounter = Counter(label: "workqueue_retries_total", dimensions: dims, factory: f)
        longestRunningGauge = Gauge(label: "workqueue_longest_running_processor_seconds", dimensions: dims, factory: f)
        unfinishedWorkGauge = Gauge(label: "workqueue_unfinished_work_seconds", dimensions: dims, factory: f)
    }

    public init(name: String) {
        self.init(Configuration(name: name))
    }

    // MARK: Intake

    /// Queues `key` (merged with an already queued or processing copy). Ignored after shutdown.
    public func add(_ key: Key, lane: QueueLane = .normal) {
        guard !shuttingDown else { return }
        if processing[key] != nil {
            if dirty[key] != .normal { dirty[key] = lane }
            return
        }
        if var entry = queued[key] {
            if entry.lane == .low && lane == .normal {
                entry.lane = .normal
                queued[key] = entry
                normalLane.append(key)
            }
            return
        }
        enqueue(key, lane: lane, addedAt: clock.now)
    }

    /// Queues many keys at once (one actor hop for an initial list).
    public func add<S: Sequence>(contentsOf keys: S, lane: QueueLane = .normal) where S.Element == Key {
        for key in keys { add(key, lane: lane) }
    }

    /// Queues `key` once `delay` has passed. Of several pending delays for a key the earliest wins.
    public func addAfter(_ key: Key, _ delay: Duration, lane: QueueLane = .normal) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key, lane: lane) }
        let readyAt = clock.now.advanced(by: delay)
        if let existing = delayedUntil[key], existing <= readyAt { return }
        delayedUntil[key] = readyAt
        delayedSeq += 1
        delayed.insert(Delayed(readyAt: readyAt, seq: delayedSeq, key: key, lane: lane))
        armTimer()
    }

    /// Re-adds `key` after its exponential backoff (base × 2^(failures)), and counts a failure.
    public func addRateLimited(_ key: Key) {
        guard !shuttingDown else { return }
        let n = failures[key, default: 0]
        failures[key] = n + 1
        retriesCounter.increment()
        addAfter(key, Self.backoff(failures: n, base: configuration.baseDelay, max: configuration.maxDelay))
    }

    /// Clears the failure history of `key` (call after a successful reconcile).
    public func forget(_ key: Key) {
        failures.removeValue(forKey: key)
    }

    /// How many times `key` has been rate-limited since its last `forget`.
    public func numRequeues(_ key: Key) -> Int { failures[key, default: 0] }

    /// The delay after `failures` earlier failures: base × 2^failures, capped at `max`.
    public static func backoff(failures: Int, base: Duration, max: Duration) -> Duration {
        // Past 2^40 the cap has long been reached; avoid overflow.
        let exp = Swift.min(failures, 40)
        let delay = base * Double(UInt64(1) << UInt64(exp))
        return delay > max ? max : delay
    }

    // MARK: Processing

    /// The next key to process, marked as processing until `done` is called. Waits for one;
    /// returns nil once the queue is shut down or the calling task is cancelled.
    public func next() async -> Key? {
        if shuttingDown { return nil }
        if let key = popReady() { return key }
        getterID += 1
        let id = getterID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Key?, Never>) in
                if Task.isCancelled || shuttingDown { c.resume(returning: nil); return }
                getters.append((id, c))
            }
        } onCancel: {
            Task { await self.cancelGetter(id) }
        }
    }

    /// Marks `key` as processed; if it was added meanwhile it is queued again.
    public func done(_ key: Key) {
        guard let started = processing.removeValue(forKey: key) else { return }
        workDuration.record(duration: clock.now - started)
        if let lane = dirty.removeValue(forKey: key), !shuttingDown {
            enqueue(key, lane: lane, addedAt: clock.now)
        }
        updateProcessingGauges()
        if shuttingDown && processing.isEmpty { drained.signal() }
    }

    /// What to do with a key a worker has finished with.
    public enum Completion: Sendable, Hashable {
        /// Success: forget its failures.
        case forget
        /// Success, look again after a delay (forgets failures).
        case requeueAfter(Duration)
        /// Failure: retry after the key's backoff.
        case rateLimited
        /// Failure not worth retrying: forget its failures, do not requeue.
        case drop
    }

    /// `done` plus the follow-up in one call (one actor hop per key instead of three).
    /// Returns the key's failure count afterwards.
    @discardableResult
    public func complete(_ key: Key, _ completion: Completion) -> Int {
        switch completion {
        case .forget, .drop:
            forget(key)
        case .requeueAfter(let delay):
            forget(key)
            addAfter(key, delay)
        case .rateLimited:
            addRateLimited(key)
        }
        done(key)
        return failures[key, default: 0]
    }

    // MARK: Shutdown

    /// Stops intake (adds are ignored, delayed keys dropped) and hands out no more keys: waiting
    /// `next()` calls return nil. Keys still queued are abandoned (reconciles are level-triggered:
    /// whoever runs next lists everything again).
    public func shutDown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        timer?.task.cancel()
        timer = nil
        delayed = Heap()
        delayedUntil.removeAll()
        gaugeTicker?.cancel()
        gaugeTicker = nil
        let waiting = getters
        getters.removeAll()
        for g in waiting { g.continuation.resume(returning: nil) }
        if processing.isEmpty { drained.signal() }
    }

    /// `shutDown`, then waits up to `timeout` for keys being processed to be `done`.
    /// Returns whether all finished in time.
    public func shutDownWithDrain(timeout: Duration) async -> Bool {
        shutDown()
        return await drained.wait(timeout: timeout, clock: clock)
    }

    public var isShuttingDown: Bool { shuttingDown }

    // MARK: Introspection (tests, health)

    /// Keys waiting to be handed out (not counting delayed or processing keys).
    public var count: Int { queued.count }
    public var processingCount: Int { processing.count }
    public func isProcessing(_ key: Key) -> Bool { processing[key] != nil }
    public func isQueued(_ key: Key) -> Bool { queued[key] != nil }
    /// When a delayed add of `key` is due, if one is pending.
    public func readyTime(of key: Key) -> ContinuousClock.Instant? { delayedUntil[key] }
    public var delayedCount: Int { delayedUntil.count }

    // MARK: Internals

    private func enqueue(_ key: Key, lane: QueueLane, addedAt: ContinuousClock.Instant) {
        queued[key] = Queued(lane: lane, addedAt: addedAt)
        switch lane {
        case .normal: normalLane.append(key)
        case .low: lowLane.append(key)
        }
        addsCounter.increment()
        depthGauge.record(queued.count)
        // Hand it straight to a waiting worker, if any.
        if !getters.isEmpty, let next = popReady() {
            getters.removeFirst().continuation.resume(returning: next)
        }
    }

    private func popReady() -> Key? {
        while true {
            var preferLow = false
            if !lowLane.isEmpty {
                if normalLane.isEmpty {
                    preferLow = true
                } else {
                    pops += 1
                    preferLow = pops % UInt64(configuration.lowLaneShare) == 0
                }
            }
            let lane: QueueLane
            let candidate: Key
            if preferLow, let k = lowLane.popFirst() {
                lane = .low
                candidate = k
            } else if let k = normalLane.popFirst() {
                lane = .normal
                candidate = k
            } else {
                return nil
            }
            guard let entry = queued[candidate], entry.lane == lane else { continue }  // stale entry
            queued.removeValue(forKey: candidate)
            if queued.isEmpty { releaseDrainedStorage() }
            let now = clock.now
            processing[candidate] = now
            queueDuration.record(duration: now - entry.addedAt)
            depthGauge.record(queued.count)
            startGaugeTicker()
            return candidate
        }
    }

    /// A drained queue lets go of the storage its busiest moment grew: a Dictionary or Deque keeps its capacity
    /// when emptied, and a first discovery's catch-up queues every resource (10,000 keys hold about 1.7 MB). The
    /// lanes grew with `queued`; whatever they still hold is stale once nothing is queued (`queued` is the truth).
    private func releaseDrainedStorage() {
        guard queued.capacity > Self.keptCapacity else { return }
        queued = [:]
        normalLane = Deque()
        lowLane = Deque()
    }

    /// Below this many slots a drained queue keeps its storage (it is reused at once).
    static var keptCapacity: Int { 1_024 }

    /// Slots the queue's table of queued keys holds now (for tests).
    var queuedCapacity: Int { queued.capacity }

    private func cancelGetter(_ id: UInt64) {
        if let i = getters.firstIndex(where: { $0.id == id }) {
            getters.remove(at: i).continuation.resume(returning: nil)
        }
    }

    private func armTimer() {
        guard let earliest = delayed.min?.readyAt else {
            timer?.task.cancel()
            timer = nil
            return
        }
        if let t = timer, t.deadline <= earliest { return }
        timer?.task.cancel()
        timerID += 1
        let id = timerID
        let clock = self.clock
        let task = Task { [weak self] in
            do { try await clock.sleep(until: earliest) } catch { return }
            await self?.fireDue(timer: id)
        }
        timer = (task, earliest, id)
    }

    private func fireDue(timer id: UInt64) {
        if timer?.id == id { timer = nil }
        let now = clock.now
        while let top = delayed.min, top.readyAt <= now {
            delayed.removeMin()
            // Skip entries superseded by an earlier delay for the same key.
            guard delayedUntil[top.key] == top.readyAt else { continue }
            delayedUntil.removeValue(forKey: top.key)
            add(top.key, lane: top.lane)
        }
        armTimer()
    }

    private func updateProcessingGauges() {
        let now = clock.now
        var longest = Duration.zero
        var total = Duration.zero
        for started in processing.values {
            let d = now - started
            total += d
            if d > longest { longest = d }
        }
        longestRunningGauge.record(longest.inSeconds)
        unfinishedWorkGauge.record(total.inSeconds)
    }

    /// While keys are being processed, refreshes the processing-age gauges every second
    /// (as client-go does), so a stuck reconcile shows up before it finishes.
    private func startGaugeTicker() {
        guard gaugeTicker == nil, !shuttingDown else { return }
        let clock = self.clock
        gaugeTicker = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: .seconds(1)) } catch { return }
                guard let self, await self.tickGauges() else { return }
            }
        }
    }

    /// Returns whether the ticker should keep running.
    private func tickGauges() -> Bool {
        updateProcessingGauges()
        if processing.isEmpty {
            gaugeTicker = nil
            return false
        }
        return true
    }
}
