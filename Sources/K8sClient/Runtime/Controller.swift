import KubeCore
import Logging
import Metrics
import ServiceLifecycle

/// The controller loop: a work queue of object keys fed by informers, drained by N workers that
/// call the reconcile function. Level-triggered: a reconcile gets the key and reads the current state
/// from a cache (`CachedObjectReconcile` hands it the cached object after the not-found / being-deleted
/// guard); the queue owns retries, so a reconcile never sleeps.
///
/// Wire sources before `run()` (controller-runtime's builder, kube-rs's `Controller::new(..).owns(..)`):
/// `watch` (the primary kind), `owns` (kinds whose controller owner reference points at the primary
/// kind), `watches` (any kind, with a mapping function), each with an optional `EventPredicate`;
/// `waitsFor` (a cache the reconcile reads, no events); `reconcileOn` (a `ReconcileTrigger` other
/// parts fire); `resync` (every key again, periodically). `run()` waits for those informers to sync,
/// then starts the workers (and drains triggers and resyncs), and returns on cancellation, graceful
/// shutdown (swift-service-lifecycle) or `stop()`: intake stops, in-flight reconciles get
/// `drainTimeout` to finish, then they are cancelled. See docs/ARCHITECTURE.md ("The runtime").
public final class Controller: Service, Sendable {
    public typealias Reconcile = @Sendable (ObjectKey) async throws -> ReconcileResult

    public struct Configuration: Sendable {
        public var name: String
        /// Concurrent reconciles (controller-runtime's MaxConcurrentReconciles). Keys are never
        /// processed twice at once, so this bounds parallelism across different objects.
        public var workers: Int
        public var drainTimeout: Duration
        public var clock: any RuntimeClock
        public var metricsFactory: any MetricsFactory
        public var logger: Logger

        public init(
            name: String, workers: Int = 4, drainTimeout: Duration = .seconds(30),
            clock: any RuntimeClock = SystemRuntimeClock(), metricsFactory: any MetricsFactory = MetricsSystem.factory,
            logger: Logger = Logger(label: "vtag.controller")
        ) {
            self.name = name
            self.workers = max(1, workers)
            self.drainTimeout = drainTimeout
            self.clock = clock
            self.metricsFactory = metricsFactory
            self.logger = logger
        }
    }

    public let configuration: Configuration
    public let queue: WorkQueue<ObjectKey>
    private let reconcile: Reconcile
    private let logger: Logger
    private let syncWaits = Locked<[@Sendable () async -> Void]>([])
    /// Work started with the workers and stopped with them: trigger drains and periodic resyncs.
    private let companions = Locked<[@Sendable () async -> Void]>([])
    private let stopRequested = AsyncSignal()
    private let started = AsyncSignal()

    private let resultCounters: [String: Counter]
    private let errorsCounter: Counter
    private let terminalErrorsCounter: Counter
    private let reconcileTime: Metrics.Timer
    private let activeWorkers: Meter

    public init(_ configuration: Configuration, queue: WorkQueue<ObjectKey>? = nil, reconcile: @escaping Reconcile) {
        self.configuration = configuration
        self.queue = queue ?? WorkQueue(.init(name: configuration.name, clock: configuration.clock, metricsFactory: configuration.metricsFactory))
        self.reconcile = reconcile
        var logger = configuration.logger
        logger[metadataKey: "controller"] = .string(configuration.name)
        self.logger = logger
        let f = configuration.metricsFactory
        let c = configuration.name
        var results: [String: Counter] = [:]
        for r in ["success", "error", "requeue", "requeue_after"] {
            results[r] = Counter(label: "controller_runtime_reconcile_total", dimensions: [("controller", c), ("result", r)], factory: f)
        }
        resultCounters = results
        errorsCounter = Counter(label: "controller_runtime_reconcile_errors_total", dimensions: [("controller", c)], factory: f)
        terminalErrorsCounter = Counter(label: "controller_runtime_terminal_reconcile_errors_total", dimensions: [("controller", c)], factory: f)
        reconcileTime = Metrics.Timer(label: "controller_runtime_reconcile_time_seconds", dimensions: [("controller", c)], preferredDisplayUnit: .seconds, factory: f)
        activeWorkers = Meter(label: "controller_runtime_active_workers", dimensions: [("controller", c)], factory: f)
        Gauge(label: "controller_runtime_max_concurrent_reconciles", dimensions: [("controller", c)], factory: f)
            .record(configuration.workers)
    }

    public convenience init(name: String, workers: Int = 4, reconcile: @escaping Reconcile) {
        self.init(Configuration(name: name, workers: workers), reconcile: reconcile)
    }

    // MARK: Sources

    /// The primary kind: each event (that `predicate` admits) enqueues the object's own key, and so does each
    /// event the predicate held back and released later (`EventPredicate.releases`).
    public func watch<T: KubernetesObject>(_ informer: Informer<T>, predicate: EventPredicate<T>? = nil) {
        addHandler(informer, predicate: predicate) { [ObjectKey($0)] }
        for trigger in predicate?.releases ?? [] { reconcileOn(trigger) }
    }

    /// An owned kind: each event enqueues the key of the object's controller owner of kind `Owner`
    /// (the owner reference with `controller: true`, matched by kind and API group).
    public func owns<T: KubernetesObject, Owner: KubernetesObject>(_ informer: Informer<T>, owner: Owner.Type) {
        watches(informer) { Self.controllerOwnerKeys(of: $0, owner: Owner.self) }
    }

    /// Any kind, through a mapping function (e.g. a rule change enqueues every resource it can touch).
    /// On update both the old and the new object are mapped, so an object leaving a set is seen too.
    public func watches<T: KubernetesObject>(
        _ informer: Informer<T>, predicate: EventPredicate<T>? = nil, map: @escaping @Sendable (T) -> [ObjectKey]
    ) {
        // A released event carries only its own object's key, which `map` may not send to this controller.
        precondition(predicate?.releases.isEmpty ?? true, "a predicate that holds events back (OwnWrites) belongs on watch(_:predicate:)")
        addHandler(informer, predicate: predicate, map: map)
    }

    private func addHandler<T: KubernetesObject>(
        _ informer: Informer<T>, predicate: EventPredicate<T>?, map: @escaping @Sendable (T) -> [ObjectKey]
    ) {
        let queue = self.queue
        informer.addHandler { event in
            if let predicate, !predicate.admits(event) { return }
            switch event {
            case .added(let obj, let fromList):
                await queue.add(contentsOf: map(obj), lane: fromList ? .low : .normal)
            case .updated(let old, let new, let fromList):
                var keys = map(new)
                for k in map(old) where !keys.contains(k) { keys.append(k) }
                await queue.add(contentsOf: keys, lane: fromList ? .low : .normal)
            case .deleted(let obj):
                await queue.add(contentsOf: map(obj), lane: .normal)
            }
        }
        syncWaits.withLock { $0.append({ await informer.waitForSync() }) }
    }

    /// A cache the reconcile reads without reacting to its changes: the workers start only once it has
    /// synced (a missing object must mean "absent", not "not listed yet").
    public func waitsFor<T: KubernetesObject>(_ informer: Informer<T>) {
        syncWaits.withLock { $0.append({ await informer.waitForSync() }) }
    }

    /// Keys fired on `trigger` are queued too, from this controller's own task while it runs.
    public func reconcileOn(_ trigger: ReconcileTrigger) {
        let queue = self.queue
        companions.withLock {
            $0.append({
                await trigger.drain { batch in await queue.add(contentsOf: batch.keys, lane: batch.lane) }
            })
        }
    }

    /// Every `interval` while the controller runs, `keys()` (typically every cached object) is queued
    /// again in the low lane, so live changes go first: the periodic re-evaluation.
    public func resync(every interval: Duration, keys: @escaping @Sendable () -> [ObjectKey]) {
        let queue = self.queue
        let clock = configuration.clock
        let logger = self.logger
        companions.withLock {
            $0.append({
                while !Task.isCancelled {
                    do { try await clock.sleep(for: interval) } catch { return }
                    let all = keys()
                    logger.debug("periodic resync", metadata: ["keys": "\(all.count)"])
                    await queue.add(contentsOf: all, lane: .low)
                }
            })
        }
    }

    /// Keys of `object`'s controller owners of kind `Owner` (at most one in valid objects).
    public static func controllerOwnerKeys<Owner: KubernetesObject>(of object: some KubernetesObject, owner: Owner.Type) -> [ObjectKey] {
        let want = Owner.resource
        return (object.metadata.ownerReferences ?? []).compactMap { ref in
            guard ref.controller == true, ref.kind == want.kind, apiGroup(of: ref.apiVersion) == want.group else { return nil }
            return ObjectKey(namespace: want.namespaced ? object.metadata.namespace : nil, name: ref.name)
        }
    }

    private static func apiGroup(of apiVersion: String) -> String {
        guard let slash = apiVersion.firstIndex(of: "/") else { return "" }
        return String(apiVersion[..<slash])
    }

    /// Enqueues a key directly (e.g. from a periodic re-evaluation).
    public func enqueue(_ key: ObjectKey, lane: QueueLane = .normal) async {
        await queue.add(key, lane: lane)
    }

    // MARK: Running

    /// Asks a running controller to stop gracefully (as on SIGTERM).
    public func stop() { stopRequested.signal() }

    /// Whether the workers are running (sources synced).
    public var isStarted: Bool { started.isSignalled }

    public func run() async throws {
        let waits = syncWaits.withLock { $0 }
        let companions = self.companions.withLock { $0 }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    // Workers start once every source's cache has synced, so a reconcile never
                    // mistakes a cache still filling for missing objects.
                    for wait in waits { await wait() }
                    guard !Task.isCancelled, !self.stopRequested.isSignalled else { return }
                    self.started.signal()
                    self.logger.info("controller started", metadata: ["workers": "\(self.configuration.workers)"])
                    await withDiscardingTaskGroup { workers in
                        for companion in companions {
                            workers.addTask { await companion() }
                        }
                        await withDiscardingTaskGroup { pool in
                            for _ in 0..<self.configuration.workers {
                                pool.addTask { await self.worker() }
                            }
                        }
                        // The queue is shut down: triggers and resyncs have nowhere to go.
                        workers.cancelAll()
                    }
                }
                await self.stopRequested.wait()
                let drained = await self.queue.shutDownWithDrain(timeout: self.configuration.drainTimeout)
                if !drained {
                    self.logger.warning("reconciles still running after the drain timeout; abandoning them",
                                        metadata: ["timeout": "\(self.configuration.drainTimeout)"])
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.stop()
        }
        logger.info("controller stopped")
    }

    private func worker() async {
        while let key = await queue.next() {
            activeWorkers.increment()
            let start = configuration.clock.now
            let result: String
            let completion: WorkQueue<ObjectKey>.Completion
            var failure: (any Error)?
            do {
                switch try await reconcile(key) {
                case .done:
                    (result, completion) = ("success", .forget)
                case .requeue(let after) where after > .zero:
                    (result, completion) = ("requeue_after", .requeueAfter(after))
                case .requeue:
                    (result, completion) = ("requeue", .requeueAfter(.zero))
                }
            } catch let error as TerminalError {
                (result, completion) = ("error", .drop)
                terminalErrorsCounter.increment()
                failure = error.underlying
            } catch is CancellationError where Task.isCancelled {
                // Abandoned at shutdown: not a failure of the object.
                await queue.done(key)
                activeWorkers.decrement()
                return
            } catch {
                (result, completion) = ("error", .rateLimited)
                failure = error
            }
            reconcileTime.record(duration: configuration.clock.now - start)
            resultCounters[result]?.increment()
            // Every metric of the attempt is recorded before the key is handed back: whoever sees the queue idle
            // sees them all (a terminal error's count was read as 0 once the key was done, under TSan).
            if failure != nil { errorsCounter.increment() }
            let failures = await queue.complete(key, completion)
            if let failure {
                if completion == .drop {
                    logger.error("reconcile failed; not retrying", metadata: ["key": "\(key)", "error": "\(failure)"])
                } else {
                    logger.warning("reconcile failed; retrying with backoff", metadata: ["key": "\(key)", "error": "\(failure)", "attempt": "\(failures)"])
                }
            }
            activeWorkers.decrement()
        }
    }
}
