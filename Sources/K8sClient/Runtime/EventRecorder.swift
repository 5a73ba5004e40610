import DequeModule
import Foundation
import KubeCore
import Logging
import Metrics
import ServiceLifecycle

/// Records Kubernetes Events about objects (what `kubectl describe` shows), without ever blocking
/// the caller.
///
/// Uses core/v1 Events: every API server serves them, `kubectl get events` and `describe` list them
/// by default, and folding a repeat is a plain merge patch of `count` and `lastTimestamp` (as
/// client-go's record package, used by most controllers, does). events.k8s.io/v1 is the same
/// storage seen through a newer shape, so nothing is lost.
///
/// - `record` only files the event in a bounded in-memory buffer and returns. An event identical to
///   one already waiting (same object, type, reason, message) is folded into it (a count); when the
///   buffer is full, new events are dropped and counted (`events_dropped_total{reason="buffer_full"}`).
/// - `run()` (a Service) sends them from the background. A repeat of an event already sent is a
///   patch of its count, not a new object. Writes are rate-limited per object with a token bucket
///   (default burst 25, then one per 5 minutes, client-go's spam filter); events over the limit are
///   dropped and counted (`reason="rate_limited"`).
public final class EventRecorder: Service, Sendable {
    public enum EventType: String, Sendable {
        case normal = "Normal"
        case warning = "Warning"
    }

    public struct Configuration: Sendable {
        /// `source.component` / `reportingComponent`, e.g. "vtag-operator".
        public var component: String
        /// `source.host` / `reportingInstance`, e.g. the pod name.
        public var instance: String
        public var bufferSize: Int
        public var burst: Int
        /// One more write per object every this long, once the burst is spent.
        public var refillInterval: Duration
        /// How many sent events are remembered for folding repeats.
        public var foldCacheSize: Int
        public var clock: any RuntimeClock
        public var metricsFactory: any MetricsFactory
        public var logger: Logger

        public init(
            component: String, instance: String = ProcessInfo.processInfo.hostName, bufferSize: Int = 1024, burst: Int = 25,
            refillInterval: Duration = .seconds(300), foldCacheSize: Int = 4096, clock: any RuntimeClock = SystemRuntimeClock(),
            metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "vtag.events")
        ) {
            self.component = component
            self.instance = instance
            self.bufferSize = max(1, bufferSize)
            self.burst = max(1, burst)
            self.refillInterval = refillInterval
            self.foldCacheSize = max(1, foldCacheSize)
            self.clock = clock
            self.metricsFactory = metricsFactory
            self.logger = logger
        }
    }

    /// What makes two events "the same" for folding.
    struct FoldKey: Hashable {
        var object: ObjectReference
        var type: EventType
        var reason: String
        var message: String
    }

    struct Pending {
        var key: FoldKey
        var count: Int32
        var first: Date
        var last: Date
    }

    private struct Buffer {
        var order = Deque<FoldKey>()
        var pending: [FoldKey: Pending] = [:]
        var waiter: CheckedContinuation<Void, Never>?
    }

    public let configuration: Configuration
    private let api: @Sendable (String) -> Api<CoreV1Event>
    private let buffer = Locked(Buffer())
    private let droppedFull: Counter
    private let droppedRateLimited: Counter
    private let droppedFailed: Counter
    private let sent: Counter

    public init(client: KubeClient, _ configuration: Configuration) {
        self.configuration = configuration
        self.api = { namespace in Api<CoreV1Event>(client: client, namespace: namespace) }
        let f = configuration.metricsFactory
        droppedFull = Counter(label: "events_dropped_total", dimensions: [("reason", "buffer_full")], factory: f)
        droppedRateLimited = Counter(label: "events_dropped_total", dimensions: [("reason", "rate_limited")], factory: f)
        droppedFailed = Counter(label: "events_dropped_total", dimensions: [("reason", "send_failed")], factory: f)
        sent = Counter(label: "events_sent_total", factory: f)
    }

    // MARK: Recording (never blocks)

    public func record(_ object: some KubernetesObject, type: EventType = .normal, reason: String, message: String) {
        record(about: object.objectReference(), type: type, reason: reason, message: message)
    }

    public func record(about object: ObjectReference, type: EventType = .normal, reason: String, message: String) {
        var ref = object
        ref.resourceVersion = nil  // a new version of the object is still the same subject
        // The API server limits a message to 1 KiB.
        let text = message.utf8.count > 1024 ? String(message.prefix(1000)) + "…" : message
        let key = FoldKey(object: ref, type: type, reason: reason, message: text)
        let now = Date()
        let (dropped, waiter) = buffer.withLock { b -> (Bool, CheckedContinuation<Void, Never>?) in
            if b.pending[key] != nil {
                b.pending[key]!.count += 1
                b.pending[key]!.last = now
            } else if b.order.count >= configuration.bufferSize {
                return (true, nil)
            } else {
                b.pending[key] = Pending(key: key, count: 1, first: now, last: now)
                b.order.append(key)
            }
            defer { b.waiter = nil }
            return (false, b.waiter)
        }
        if dropped { droppedFull.increment() }
        waiter?.resume()
    }

    /// Events waiting to be sent (tests, health).
    public var pendingCount: Int { buffer.withLock { $0.order.count } }

    // MARK: Sending

    /// Sends buffered events until cancelled or shut down gracefully (then sends what is left).
    public func run() async throws {
        var sender = Sender(recorder: self)
        await withGracefulShutdownHandler {
            while !Task.isCancelled {
                await waitForWork()
                if Task.isCancelled { break }
                await sender.send(takeAll())
            }
        } onGracefulShutdown: {
            let waiter = self.buffer.withLock { b in defer { b.waiter = nil }; return b.waiter }
            waiter?.resume()
        }
        // Graceful shutdown: one last flush, not cancellable by the shutdown itself.
        let rest = takeAll()
        if !rest.isEmpty, !Task.isCancelled { await sender.send(rest) }
    }

    private func waitForWork() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let ready = buffer.withLock { b -> Bool in
                    if !b.order.isEmpty || Task.isCancelled { return true }
                    b.waiter = c
                    return false
                }
                if ready { c.resume() }
            }
        } onCancel: {
            buffer.withLock { b in defer { b.waiter = nil }; return b.waiter }?.resume()
        }
    }

    private func takeAll() -> [Pending] {
        buffer.withLock { b in
            let out = b.order.compactMap { b.pending[$0] }
            b.order.removeAll()
            b.pending.removeAll()
            return out
        }
    }

    /// The sending side's state, owned by the `run` task alone.
    private struct Sender {
        let recorder: EventRecorder
        /// Events already created, for folding repeats into them: fold key -> (namespace, name, count).
        var folded: [FoldKey: (namespace: String, name: String, count: Int32)] = [:]
        var foldOrder = Deque<FoldKey>()
        var buckets: [ObjectReference: (tokens: Double, at: ContinuousClock.Instant)] = [:]
        var sequence: UInt64 = 0

        init(recorder: EventRecorder) { self.recorder = recorder }

        mutating func send(_ events: [Pending]) async {
            for (i, e) in events.enumerated() {
                guard takeToken(for: e.key.object) else {
                    recorder.droppedRateLimited.increment(by: Int64(e.count))
                    continue
                }
                do {
                    try await write(e)
                    recorder.sent.increment()
                } catch {
                    recorder.droppedFailed.increment(by: Int64(e.count))
                    if error is CancellationError || Task.isCancelled {
                        // Shutting down: the rest cannot be sent either; say so once, not once per event.
                        let rest = events[(i + 1)...].reduce(0) { $0 + Int64($1.count) }
                        recorder.droppedFailed.increment(by: rest)
                        recorder.configuration.logger.debug("stopped: events not recorded", metadata: ["count": "\(rest + Int64(e.count))"])
                        return
                    }
                    recorder.configuration.logger.warning("could not record event", metadata: [
                        "reason": "\(e.key.reason)", "object": "\(e.key.object.kind ?? "")/\(e.key.object.name ?? "")", "error": "\(error)",
                    ])
                }
            }
        }

        private mutating func write(_ e: Pending) async throws {
            if let prior = folded[e.key] {
                let count = prior.count + e.count
                let patch = Patch.merge(.object([
                    "count": .int(Int64(count)),
                    "lastTimestamp": .string(KubeTime.format(e.last)),
                ]))
                do {
                    _ = try await recorder.api(prior.namespace).patch(prior.name, patch)
                    folded[e.key]?.count = count
                    return
                } catch let error as KubeClientError where error.isNotFound {
                    // Expired (events live about an hour) or deleted: start a new one.
                    folded.removeValue(forKey: e.key)
                }
            }
            let namespace = e.key.object.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
            sequence += 1
            // client-go's naming: object name plus a unique hex suffix.
            let stamp = UInt64(Date().timeIntervalSince1970 * 1e9) &+ sequence
            let name = "\(e.key.object.name ?? "object").\(String(stamp, radix: 16))"
            let c = recorder.configuration
            let event = CoreV1Event(
                metadata: ObjectMeta(name: name, namespace: namespace), involvedObject: e.key.object, reason: e.key.reason,
                message: e.key.message, source: .init(component: c.component, host: c.instance),
                firstTimestamp: e.first, lastTimestamp: e.last, count: e.count, type: e.key.type.rawValue,
                reportingComponent: c.component, reportingInstance: c.instance)
            _ = try await recorder.api(namespace).create(event)
            folded[e.key] = (namespace, name, e.count)
            foldOrder.append(e.key)
            while foldOrder.count > c.foldCacheSize, let oldest = foldOrder.popFirst() {
                folded.removeValue(forKey: oldest)
            }
        }

        private mutating func takeToken(for object: ObjectReference) -> Bool {
            let c = recorder.configuration
            let now = c.clock.now
            let burst = Double(c.burst)
            var bucket = buckets[object] ?? (burst, now)
            let refill = (now - bucket.at).inSeconds / max(c.refillInterval.inSeconds, 1e-9)
            bucket = (min(burst, bucket.tokens + refill), now)
            guard bucket.tokens >= 1 else {
                buckets[object] = bucket
                return false
            }
            bucket.tokens -= 1
            buckets[object] = bucket
            if buckets.count > 10_000 { pruneFullBuckets(now: now) }
            return true
        }

        /// Forgets objects whose bucket has refilled (they behave as new).
        private mutating func pruneFullBuckets(now: ContinuousClock.Instant) {
            let c = recorder.configuration
            let full = (Double(c.burst) - 1) * c.refillInterval.inSeconds
            buckets = buckets.filter { (now - $0.value.at).inSeconds < full }
        }
    }
}
