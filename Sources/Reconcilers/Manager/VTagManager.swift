import Foundation
import K8sClient
import Logging
import Metrics
import Synchronization
import TaggingAPI

/// The running operator, in-process: informers over the four kinds, one controller per kind, leader
/// election, readiness, domain metrics and a graceful stop. The `vtag-operator` executable parses
/// its configuration and runs one of these; tests and benchmarks run it directly.
///
/// - Informers (and so caches, readiness and gauges) run on every replica; controllers, discovery
///   runs and the model lifecycle run only on the leader. A standby's queues fill from its informers,
///   so a new leader starts with every object queued.
/// - `stop()` (SIGTERM): stops taking work, lets in-flight reconciles finish within two thirds of
///   `shutdownDeadline`, cancels discovery runs (their `status.activeRun` lets the next leader resume
///   them), releases the lease, then stops the informers. Cancelling `run()` instead stops at once
///   (with `releaseOnCancel: false`, as if the process were killed).
public final class VTagManager: Sendable {
    public let client: KubeClient
    public let settings: Settings
    public let jobs: Informer<DiscoveryJob>
    public let resources: Informer<CloudResource>
    public let rules: Informer<TaggingRule>
    public let approvals: Informer<TagApproval>
    public let model: ModelHolder
    public let events: EventRecorder
    public let discovery: DiscoveryJobReconciler
    public let metrics: DomainMetrics
    /// The controllers, by name (discoveryjob, cloudresource, taggingrule, tagapproval).
    public let controllers: [String: Controller]
    public let elector: LeaderElector?
    let wiring: TaggingWiring
    /// The CloudResource reconciler (matched counts, evaluation progress).
    public var tagger: CloudResourceTagger { wiring.tagger }
    /// The model's training and storage (run by the leader).
    public var modelLifecycle: ModelLifecycle { wiring.lifecycle }
    let logger: Logger

    private struct State {
        var started = false
        var leading = false
    }
    private let state = Mutex(State())
    private let stopRequested = AsyncSignal()

    /// Names of the caches, in the order readiness reports them.
    public static let cacheNames = ["discoveryjobs", "cloudresources", "taggingrules", "tagapprovals"]

    public init(client: KubeClient, settings: Settings) throws {
        self.client = client
        self.settings = settings
        var logger = settings.logger
        logger[metadataKey: "identity"] = .string(settings.identity)
        self.logger = logger

        func informer<T: KubernetesObject>(_ type: T.Type) -> Informer<T> {
            let store = Store<T>()
            return Informer(
                store: store, logger: logger,
                events: NamespacedEventSource.make(client: client, namespaces: settings.namespaces, config: settings.watcher, store: store))
        }
        jobs = informer(DiscoveryJob.self)
        resources = informer(CloudResource.self)
        rules = informer(TaggingRule.self)
        approvals = informer(TagApproval.self)
        model = ModelHolder()
        events = EventRecorder(client: client, .init(
            component: "vtag-operator", instance: settings.identity, metricsFactory: settings.metricsFactory,
            logger: Logger(label: "vtag.events")))
        metrics = DomainMetrics(requiredKeys: settings.tagging.inference.requiredKeys, factory: settings.metricsFactory)

        let makeController = { (name: String, reconcile: @escaping Controller.Reconcile) -> Controller in
            var log = logger
            log[metadataKey: "controller"] = .string(name)
            return Controller(.init(
                name: name, workers: settings.workers, drainTimeout: settings.drainTimeout,
                metricsFactory: settings.metricsFactory, logger: log), reconcile: reconcile)
        }

        discovery = DiscoveryJobReconciler(
            client: client, jobs: jobs.store, resources: resources.store, events: events, providers: settings.providers,
            writeConcurrency: settings.discoveryWriteConcurrency, logger: Logger(label: "vtag.discovery"))
        var all: [String: Controller] = [:]
        let discovery = self.discovery
        let jobController = makeController("discoveryjob") { try await discovery.reconcile($0) }
        jobController.watch(jobs)
        jobController.owns(resources, owner: DiscoveryJob.self)
        all["discoveryjob"] = jobController

        wiring = try TaggingWiring(
            client: client, settings: settings, jobs: jobs, resources: resources, rules: rules, approvals: approvals,
            model: model, events: events, logger: logger, makeController: makeController)
        for (name, c) in wiring.controllers { all[name] = c }
        controllers = all

        if let le = settings.leaderElection {
            elector = try LeaderElector(client: client, .init(
                leaseName: le.leaseName, leaseNamespace: le.leaseNamespace, identity: settings.identity,
                leaseDuration: le.leaseDuration, renewDeadline: le.renewDeadline, retryPeriod: le.retryPeriod,
                releaseOnCancel: le.releaseOnCancel, metricsFactory: settings.metricsFactory,
                logger: Logger(label: "vtag.leader-election")))
        } else {
            elector = nil
        }

        // Counters count the leader's actions only (a standby sees the same changes through its watch).
        let metrics = self.metrics
        resources.addHandler { [weak self] event in
            guard let self, self.isLeader else { return }
            switch event {
            case .added(let new, _): metrics.countChanges(old: nil, new: new)
            case .updated(let old, let new, _): metrics.countChanges(old: old, new: new)
            case .deleted: break
            }
        }
    }

    // MARK: State

    /// Whether this replica runs the controllers now.
    public var isLeader: Bool { state.withLock { $0.leading } }

    /// True once every cache has listed its objects (what /readyz reports).
    public var hasSynced: Bool { unsyncedCaches.isEmpty }

    /// The caches still listing, by name.
    public var unsyncedCaches: [String] {
        let synced = [jobs.hasSynced, resources.hasSynced, rules.hasSynced, approvals.hasSynced]
        return zip(Self.cacheNames, synced).filter { !$0.1 }.map(\.0)
    }

    /// Recomputes the `vtag_*` gauges now (the manager does it every `metricsInterval`).
    @discardableResult
    public func collectMetrics() -> DomainMetrics.Snapshot {
        metrics.collect(resources: resources.store, approvals: approvals.store, rules: rules.store, jobs: jobs.store,
                        modelVersion: model.version)
    }

    // MARK: Running

    /// Asks a running manager to stop gracefully (SIGTERM). `run()` returns once it has.
    public func stop() {
        stopRequested.signal()
        wiring.stopping.signal()
        for c in controllers.values { c.stop() }
    }

    /// Runs until `stop()` (returns normally), cancellation (returns at once), or lost leadership
    /// (throws `VTagManagerError.leadershipLost`).
    public func run() async throws {
        let first = state.withLock { s in
            defer { s.started = true }
            return !s.started
        }
        guard first else { throw VTagManagerError.alreadyRun }
        logger.info("manager starting", metadata: [
            "namespaces": .string(settings.namespaces.isEmpty ? "all" : settings.namespaces.joined(separator: ",")),
            "leaderElection": .stringConvertible(settings.leaderElection != nil),
        ])
        let lost = await withDiscardingTaskGroup { group -> Bool in
            group.addTask { try? await self.jobs.run() }
            group.addTask { try? await self.resources.run() }
            group.addTask { try? await self.rules.run() }
            group.addTask { try? await self.approvals.run() }
            group.addTask { await self.reportSyncs() }
            group.addTask { try? await self.events.run() }
            group.addTask { await self.collectMetricsPeriodically() }
            let lost = await self.leadUntilStopped()
            group.cancelAll()
            return lost
        }
        await discovery.stopRuns()
        if lost, let le = settings.leaderElection {
            logger.error("lost leadership; stopping")
            throw VTagManagerError.leadershipLost(lease: "\(le.leaseNamespace)/\(le.leaseName)")
        }
        logger.info("manager stopped")
    }

    /// What ended one child of the campaign's task group. A plain enum rather than an Optional: Swift
    /// 6.3.1 release builds miscompile some task-group result shapes (docs/ARCHITECTURE.md, "Release builds").
    private enum CampaignEnd: Sendable {
        case elector(LeaderElector.Outcome)
        case stopRequested
    }

    /// Campaigns (when electing) and leads until stopped. Returns true when leadership was lost.
    private func leadUntilStopped() async -> Bool {
        guard let elector else {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.lead() }
                // Cancellation (a kill) reaches lead() through the group; a stop reaches it through the controllers.
                await group.waitForAll()
            }
            return false
        }
        return await withTaskGroup(of: CampaignEnd.self) { group -> Bool in
            group.addTask { .elector(await elector.run { await self.lead() }) }
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

    /// The leader's work: the controllers and the model lifecycle, until the controllers stop.
    private func lead() async {
        guard !stopRequested.isSignalled, !Task.isCancelled else { return }
        state.withLock { $0.leading = true }
        defer { state.withLock { $0.leading = false } }
        logger.info("leading: starting controllers", metadata: ["controllers": .string(controllers.keys.sorted().joined(separator: ","))])
        await withDiscardingTaskGroup { group in
            group.addTask { await self.wiring.runWhileLeading(resources: self.resources) }
            group.addTask {
                await self.wiring.resyncWhileLeading(resources: self.resources, every: self.settings.tagging.reevaluateInterval)
            }
            await withDiscardingTaskGroup { controllersGroup in
                for c in controllers.values {
                    controllersGroup.addTask { try? await c.run() }
                }
            }
            // Runs outlive their reconcile; they stop with the controllers (activeRun stays set, so
            // whoever leads next resumes them).
            await discovery.stopRuns()
            group.cancelAll()
        }
    }

    private func reportSyncs() async {
        let waits: [(String, @Sendable () async -> Void)] = [
            ("discoveryjobs", { await self.jobs.waitForSync() }),
            ("cloudresources", { await self.resources.waitForSync() }),
            ("taggingrules", { await self.rules.waitForSync() }),
            ("tagapprovals", { await self.approvals.waitForSync() }),
        ]
        await withDiscardingTaskGroup { group in
            for (name, wait) in waits {
                group.addTask {
                    await wait()
                    guard !Task.isCancelled else { return }
                    self.logger.info("cache synced", metadata: ["cache": .string(name)])
                    self.settings.onCacheSynced?(name)
                }
            }
        }
    }

    private func collectMetricsPeriodically() async {
        await resources.waitForSync()
        while !Task.isCancelled {
            collectMetrics()
            do { try await Task.sleep(for: settings.metricsInterval) } catch { return }
        }
    }
}
