import KubeCore
import Logging
import Metrics

/// Something the manager runs for the life of the process (controller-runtime's `Runnable`).
///
/// `needsLeaderElection` says where it runs: on every replica (caches, metrics, event recording), or
/// only on the leader, and only while it leads (controllers, discovery runs, the model's training).
public protocol Runnable: Sendable {
    var needsLeaderElection: Bool { get }
    /// Runs until stopped or cancelled.
    func run() async throws
    /// Asks a running runnable to finish. Leader runnables that are not controllers are stopped after
    /// every controller has drained, so they may wait for work the reconciles started.
    func stop() async
}

extension Controller: Runnable {
    public var needsLeaderElection: Bool { true }
}

/// A runnable made of a function: runs `body`; a stop cancels it (after `onStop`, if given).
public struct RunnableTask: Runnable {
    public let needsLeaderElection: Bool
    let body: @Sendable () async throws -> Void
    let onStop: (@Sendable () async -> Void)?

    public init(needsLeaderElection: Bool, onStop: (@Sendable () async -> Void)? = nil, _ body: @escaping @Sendable () async throws -> Void) {
        self.needsLeaderElection = needsLeaderElection
        self.body = body
        self.onStop = onStop
    }

    public func run() async throws { try await body() }
    public func stop() async { await onStop?() }
}

/// The running parts of an operator, in-process (controller-runtime's `Manager`): one shared cache
/// keyed by type (one informer per kind, however many controllers read it), the controllers and other
/// runnables, and leader election. See docs/ARCHITECTURE.md ("The runtime").
///
/// - Informers and runnables that do not need the leader run on every replica; controllers and leader
///   runnables run only while this replica leads. A standby's queues fill from its informers, so a new
///   leader starts with every object queued.
/// - `stop()` (SIGTERM): controllers stop taking work and drain (`drainTimeout`), then the other leader
///   runnables are stopped in the order they were added, the lease is released, the informers stop.
///   Cancelling `run()` instead stops at once.
public final class Manager: Sendable {
    public struct Configuration: Sendable {
        /// Namespaces to watch; empty watches all namespaces.
        public var namespaces: [String]
        /// The informers' list+watch settings.
        public var watcher: WatcherConfig
        /// Defaults of the controllers made by `controller(_:reconcile:)`.
        public var workers: Int
        public var drainTimeout: Duration
        public var metricsFactory: any MetricsFactory
        public var logger: Logger

        public init(
            namespaces: [String] = [], watcher: WatcherConfig = WatcherConfig(), workers: Int = 4,
            drainTimeout: Duration = .seconds(20), metricsFactory: any MetricsFactory = MetricsSystem.factory,
            logger: Logger = Logger(label: "vtag.manager")
        ) {
            self.namespaces = namespaces
            self.watcher = watcher
            self.workers = max(1, workers)
            self.drainTimeout = drainTimeout
            self.metricsFactory = metricsFactory
            self.logger = logger
        }
    }

    /// How `run()` ended.
    public enum Outcome: Sendable, Equatable {
        /// `stop()` or cancellation.
        case stopped
        /// The lease could not be renewed: the process should exit (a restart campaigns again).
        case leadershipLost
    }

    public let client: KubeClient
    public let configuration: Configuration
    public let elector: LeaderElector?

    private struct State {
        var informers: [ObjectIdentifier: any SharedInformer] = [:]
        var runnables: [any Runnable] = []
        var leading = false
        var started = false
    }
    private let state = Locked(State())
    private let stopRequested = AsyncSignal()

    public init(client: KubeClient, configuration: Configuration = Configuration(), elector: LeaderElector? = nil) {
        self.client = client
        self.configuration = configuration
        self.elector = elector
    }

    // MARK: The shared cache

    /// The informer of kind `T`: made on first ask, shared by every later one. Ask before `run()`.
    /// `transform` (what the cache keeps of each object) and `packing` (how it holds it) are taken from the
    /// first ask, so the owner of the kind asks first.
    public func informer<T: KubernetesObject>(
        _ type: T.Type = T.self, transform: Store<T>.Transform? = nil, packing: Store<T>.Packing? = nil, indexesNamespaces: Bool = true
    ) -> Informer<T> {
        state.withLock { s in
            if let existing = s.informers[ObjectIdentifier(T.self)] as? Informer<T> { return existing }
            let store = Store<T>(transform: transform, packing: packing, indexesNamespaces: indexesNamespaces)
            let informer = Informer(
                store: store, logger: configuration.logger,
                events: NamespacedEventSource.make(client: client, namespaces: configuration.namespaces, config: configuration.watcher, store: store))
            s.informers[ObjectIdentifier(T.self)] = informer
            return informer
        }
    }

    /// The cache of kind `T` (its informer's store).
    public func cache<T: KubernetesObject>(_ type: T.Type = T.self) -> Store<T> { informer(T.self).store }

    /// True once every informer has listed its objects.
    public var hasSynced: Bool { state.withLock { s in s.informers.values.allSatisfy(\.hasSynced) } }

    // MARK: Runnables

    /// Adds a runnable. Add before `run()`.
    public func add(_ runnable: any Runnable) {
        state.withLock { $0.runnables.append(runnable) }
    }

    /// A controller with the manager's defaults (workers, drain timeout, metrics, logger), added to the
    /// manager: wire its sources (`watch`, `owns`, `watches`, ...) before `run()`.
    public func controller(_ name: String, workers: Int? = nil, reconcile: @escaping Controller.Reconcile) -> Controller {
        var logger = configuration.logger
        logger[metadataKey: "controller"] = .string(name)
        let controller = Controller(.init(
            name: name, workers: workers ?? configuration.workers, drainTimeout: configuration.drainTimeout,
            metricsFactory: configuration.metricsFactory, logger: logger), reconcile: reconcile)
        add(controller)
        return controller
    }

    /// The controllers added so far, by name.
    public var controllers: [String: Controller] {
        state.withLock { s in
            Dictionary(s.runnables.compactMap { $0 as? Controller }.map { ($0.configuration.name, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    // MARK: Running

    /// Whether this replica runs the leader's runnables now.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// Asks a running manager to stop gracefully. `run()` returns once it has.
    public func stop() {
        stopRequested.signal()
        for c in controllers.values { c.stop() }
    }

    /// Runs until `stop()`, cancellation, or lost leadership (see `Outcome`). Runs once.
    public func run() async throws(KubeClientError) -> Outcome {
        let (first, informers, runnables) = state.withLock { s in
            defer { s.started = true }
            return (!s.started, Array(s.informers.values), s.runnables)
        }
        guard first else { throw .managerAlreadyRun }
        let everywhere = runnables.filter { !$0.needsLeaderElection }
        let leaderOnly = runnables.filter(\.needsLeaderElection)
        let lost = await withDiscardingTaskGroup { group -> Bool in
            for informer in informers { group.addTask { try? await informer.run() } }
            for runnable in everywhere { group.addTask { try? await runnable.run() } }
            let lost = await self.leadUntilStopped(leaderOnly)
            group.cancelAll()
            return lost
        }
        return lost ? .leadershipLost : .stopped
    }

    /// What ended one child of the campaign's task group. A plain enum rather than an Optional: Swift
    /// 6.3.1 release builds miscompile some task-group result shapes (docs/ARCHITECTURE.md, "Release builds").
    private enum CampaignEnd: Sendable {
        case elector(LeaderElector.Outcome)
        case stopRequested
    }

    /// Campaigns (when electing) and leads until stopped. Returns true when leadership was lost.
    private func leadUntilStopped(_ runnables: [any Runnable]) async -> Bool {
        guard let elector else {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.lead(runnables) }
                // Cancellation (a kill) reaches lead() through the group; a stop reaches it through the controllers.
                await group.waitForAll()
            }
            return false
        }
        return await withTaskGroup(of: CampaignEnd.self) { group -> Bool in
            group.addTask { .elector(await elector.run { await self.lead(runnables) }) }
            group.addTask {
                await self.stopRequested.wait()
                return .stopRequested
            }
            var outcome: LeaderElector.Outcome = .cancelled
            while let next = await group.next() {
                if case .elector(let ended) = next {
                    outcome = ended
                    group.cancelAll()
                    break
                }
                // Stop requested: a campaign that has not won is abandoned; a leader finishes its
                // reconciles (the controllers were told to stop), then the elector releases the lease.
                if !elector.isLeader { group.cancelAll() }
            }
            return outcome == .lost
        }
    }

    /// The leader's work: every leader runnable, until the controllers stop; then the others stop.
    private func lead(_ runnables: [any Runnable]) async {
        guard !stopRequested.isSignalled, !Task.isCancelled else { return }
        state.withLock { $0.leading = true }
        defer { state.withLock { $0.leading = false } }
        let controllers = runnables.compactMap { $0 as? Controller }
        let others = runnables.filter { !($0 is Controller) }
        configuration.logger.info("leading: starting controllers", metadata: [
            "controllers": .string(controllers.map(\.configuration.name).sorted().joined(separator: ",")),
        ])
        await withDiscardingTaskGroup { group in
            for runnable in others { group.addTask { try? await runnable.run() } }
            await withDiscardingTaskGroup { controllersGroup in
                for c in controllers { controllersGroup.addTask { try? await c.run() } }
            }
            for runnable in others { await runnable.stop() }
            group.cancelAll()
        }
    }
}

/// What the manager needs of an informer whatever its kind.
protocol SharedInformer: Sendable {
    var hasSynced: Bool { get }
    func run() async throws
}

extension Informer: SharedInformer {}
