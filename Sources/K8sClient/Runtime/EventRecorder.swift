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
/// - Like client-go's EventAggregator, but per kind rather than per object: once `aggregateAfter`
///   different objects of one kind in one namespace had an event of the same type and reason within
///   `aggregateWindow`, further ones are combined into a single Event (its count is how many, its
///   message names the latest). A first discovery of 10,000 resources then writes a handful of Events,
///   not one per resource. A combined Event is written at most every `aggregateFlushInterval`; the
///   sender waits that long after writing one, while new events keep folding in the buffer.
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
        /// Distinct objects of one kind with the same type and reason, within `aggregateWindow`, that get
        /// Events of their own; past that they are combined into one.
        public var aggregateAfter: Int
        public var aggregateWindow: Duration
        /// How often a combined Event is written at most.
        public var aggregateFlushInterval: Duration
        public var clock: any RuntimeClock
        public var metricsFactory: any MetricsFactory
        public var logger: Logger

        public init(
            component: String, instance: String = ProcessInfo.processInfo.hostName, bufferSize: Int = 1024, burst: Int = 25,
            refillInterval: Duration = .seconds(300), foldCacheSize: Int = 4096, aggregateAfter: Int = 10,
            aggregateWindow: Duration = .seconds(600), aggregateFlushInterval: Duration = .seconds(5), clock: any RuntimeClock = SystemRuntimeClock(),
            metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "vtag.events")
        ) {
            self.component = component
            self.instance = instance
            self.bufferSize = max(1, bufferSize)
            self.burst = max(1, burst)
            self.refillInterval = refillInterval
            self.foldCacheSize = max(1, foldCacheSize)
            self.aggregateAfter = max(1, aggregateAfter)
            self.aggregateWindow = aggregateWindow
            self.aggregateFlushInterval = aggregateFlushInterval
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
        /// "" for a combined Event (its message changes as events join it).
        var message: String
        var combined = false
    }

    struct Pending {
        var key: FoldKey
        var count: Int32
        var first: Date
        var last: Date
        /// A combined Event: the latest event's object name and message.
        var latest: (object: String, message: String)?
    }

    /// Events of one type and reason about objects of one kind in one namespace (what is combined).
    struct AggregateKey: Hashable {
        var namespace: String?
        var apiVersion: String?
        var kind: String?
        var type: EventType
        var reason: String
    }

    /// The objects of an `AggregateKey` that had Events of their own in the current window.
    struct AggregateWindow {
        var started: ContinuousClock.Instant
        var objects: Set<String> = []
        /// The object a combined Event is filed under (the first one combined in this window).
        var subject: ObjectReference?
    }

    private struct Buffer {
        var order = Deque<FoldKey>()
        var pending: [FoldKey: Pending] = [:]
        var windows: [AggregateKey: AggregateWindow] = [:]
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
        let now = Date()
        let instant = configuration.clock.now
        let (dropped, waiter) = buffer.withLock { b -> (Bool, CheckedContinuation<Void, Never>?) in
            let key = combinedKey(ref, type: type, reason: reason, at: instant, &b)
                ?? FoldKey(object: ref, type: type, reason: reason, message: text)
            if b.pending[key] != nil {
                b.pending[key]!.count += 1
                b.pending[key]!.last = now
            } else if b.order.count >= configuration.bufferSize {
                return (true, nil)
            } else {
                b.pending[key] = Pending(key: key, count: 1, first: now, last: now)
                b.order.append(key)
            }
            if key.combined { b.pending[key]!.latest = (ref.name ?? "", text) }
            defer { b.waiter = nil }
            return (false, b.waiter)
        }
        if dropped { droppedFull.increment() }
        waiter?.resume()
    }

    /// The key of the combined Event this event joins, or nil when it gets one of its own (its object is
    /// among the first `aggregateAfter` of its kind, type and reason in the window).
    private func combinedKey(
        _ ref: ObjectReference, type: EventType, reason: String, at now: ContinuousClock.Instant, _ b: inout Buffer
    ) -> FoldKey? {
        let aggregate = AggregateKey(namespace: ref.namespace, apiVersion: ref.apiVersion, kind: ref.kind, type: type, reason: reason)
        var window = b.windows[aggregate] ?? AggregateWindow(started: now)
        if now - window.started > configuration.aggregateWindow { window = AggregateWindow(started: now) }
        defer { b.windows[aggregate] = window }
        let name = ref.name ?? ""
        if window.objects.contains(name) || window.objects.count < configuration.aggregateAfter {
            window.objects.insert(name)
            if b.windows.count > 4096 {
                // Forget expired windows (kinds and reasons are few; this is a guard, not a cache).
                b.windows = b.windows.filter { now - $0.value.started <= configuration.aggregateWindow }
            }
            return nil
        }
        if window.subject == nil { window.subject = ref }
        return FoldKey(object: window.subject!, type: type, reason: reason, message: "", combined: true)
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
                let batch = takeAll()
                await sender.send(batch)
                if batch.contains(where: \.key.combined) {
                    // Let the events of a busy stretch fold into the combined Event before its next write.
                    do { try await configuration.clock.sleep(for: configuration.aggregateFlushInterval) } catch { break }
                }
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
                // A combined Event is paced by the flush interval instead (its count must not be lost).
                guard e.key.combined || takeToken(for: e.key.object) else {
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
                var fields: [String: JSONValue] = [
                    "count": .int(Int64(count)),
                    "lastTimestamp": .string(KubeTime.format(e.last)),
                ]
                if e.key.combined { fields["message"] = .string(Self.combinedMessage(e, count: count)) }
                let patch = Patch.merge(.object(fields))
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
                message: e.key.combined ? Self.combinedMessage(e, count: e.count) : e.key.message, source: .init(component: c.component, host: c.instance),
                firstTimestamp: e.first, lastTimestamp: e.last, count: e.count, type: e.key.type.rawValue,
                reportingComponent: c.component, reportingInstance: c.instance)
            _ = try await recorder.api(namespace).create(event)
            folded[e.key] = (namespace, name, e.count)
            foldOrder.append(e.key)
            while foldOrder.count > c.foldCacheSize, let oldest = foldOrder.popFirst() {
                folded.removeValue(forKey: oldest)
            }
        }

        /// What a combined Event says: how many, about what, and the latest one.
        static func combinedMessage(_ e: Pending, count: Int32) -> String {
            let kind = e.key.object.kind ?? "object"
            let latest = e.latest.map { "; the latest, \($0.object): \($0.message)" } ?? ""
            let text = "(combined from similar events): \(count) \(e.key.reason) events about \(kind)s in this namespace\(latest)"
            return text.utf8.count > 1024 ? String(text.prefix(1000)) + "…" : text
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
