import Foundation
import K8sClient
import KubeCore
import Logging
import Metrics
import TaggingAPI

/// The running operator, in-process: a K8sClient `Manager` with the four kinds registered on it, leader
/// election, readiness, domain metrics and a graceful stop. The `vtag-operator` executable parses its
/// configuration and runs one of these; tests and benchmarks run it directly. How the parts fit:
/// docs/ARCHITECTURE.md.
///
/// - Informers (and so caches, readiness and gauges) run on every replica; controllers, discovery runs
///   and the model lifecycle run only on the leader. A standby's queues fill from its informers, so a
///   new leader starts with every object queued.
/// - `stop()` (SIGTERM): stops taking work, lets in-flight reconciles finish within two thirds of
///   `shutdownDeadline`, cancels discovery runs (their `status.activeRun` lets the next leader resume
///   them), releases the lease, then stops the informers. Cancelling `run()` instead stops at once
///   (with `releaseOnCancel: false`, as if the process were killed).
public final class VTagManager: Sendable {
    public let client: KubeClient
    public let settings: Settings
    /// The shared cache, the controllers and the leader election.
    public let manager: Manager
    public let jobs: Informer<DiscoveryJob>
    public let resources: Informer<CloudResource>
    public let rules: Informer<TaggingRule>
    public let approvals: Informer<TagApproval>
    public let events: EventRecorder
    public let discovery: DiscoveryJobReconciler
    public let metrics: DomainMetrics
    /// The CloudResource reconciler (matched counts, evaluation progress).
    public let tagger: CloudResourceTagger
    let modelRunnable: ModelRunnable
    let logger: Logger
    /// Signalled on stop: reconciles still waiting for the model give up (the next leader does them).
    private let stopping = AsyncSignal()

    /// Names of the caches, in the order readiness reports them.
    public static let cacheNames = ["discoveryjobs", "cloudresources", "taggingrules", "tagapprovals"]

    public init(client: KubeClient, settings: Settings) throws {
        self.client = client
        self.settings = settings
        var logger = settings.logger
        logger[metadataKey: "identity"] = .string(settings.identity)
        self.logger = logger

        let elector: LeaderElector?
        if let le = settings.leaderElection {
            elector = try LeaderElector(client: client, .init(
                leaseName: le.leaseName, leaseNamespace: le.leaseNamespace, identity: settings.identity,
                leaseDuration: le.leaseDuration, renewDeadline: le.renewDeadline, retryPeriod: le.retryPeriod,
                releaseOnCancel: le.releaseOnCancel, metricsFactory: settings.metricsFactory,
                logger: Logger(label: "vtag.leader-election")))
        } else {
            elector = nil
        }
        let manager = Manager(client: client, configuration: .init(
            namespaces: settings.namespaces, watcher: settings.watcher, workers: settings.workers,
            drainTimeout: settings.drainTimeout, metricsFactory: settings.metricsFactory, logger: logger), elector: elector)
        self.manager = manager
        jobs = manager.informer(DiscoveryJob.self)
        // The scope index (`RuleScopeIndex`) divides the resources by namespace already.
        resources = manager.informer(
            CloudResource.self, transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make(),
            indexesNamespaces: false)
        rules = manager.informer(TaggingRule.self)
        approvals = manager.informer(TagApproval.self)
        let events = EventRecorder(client: client, .init(
            component: "vtag-operator", instance: settings.identity, metricsFactory: settings.metricsFactory,
            logger: Logger(label: "vtag.events")))
        self.events = events
        metrics = DomainMetrics(requiredKeys: settings.tagging.inference.requiredKeys, factory: settings.metricsFactory)

        // Each kind registers itself (its folder's *Controller.swift).
        discovery = DiscoveryJobReconciler.register(with: manager, settings: settings, events: events)
        let model = ModelRunnable.register(with: manager, settings: settings, discovery: discovery)
        modelRunnable = model
        tagger = CloudResourceTagger.register(with: manager, model: model, settings: settings, events: events, stopping: stopping)
        TaggingRuleReconciler.register(with: manager, tagger: tagger, events: events)
        TagApprovalReconciler.register(with: manager, model: model.holder, settings: settings, events: events, batcherWrites: tagger.batcher.ownWrites)

        // On every replica: Events, readiness reports, gauges.
        manager.add(RunnableTask(needsLeaderElection: false) { try await events.run() })
        let caches: [(String, any SyncReporting)] = [("discoveryjobs", jobs), ("cloudresources", resources), ("taggingrules", rules), ("tagapprovals", approvals)]
        manager.add(RunnableTask(needsLeaderElection: false) { [logger] in await Self.reportSyncs(caches, settings: settings, logger: logger) })

        // Counters count the leader's actions only (a standby sees the same changes through its watch).
        let metrics = self.metrics
        resources.addHandler { [weak manager] event in
            guard let manager, manager.isLeader else { return }
            switch event {
            case .added(let new, _): metrics.countChanges(old: nil, new: new)
            case .updated(let old, let new, _): metrics.countChanges(old: old, new: new)
            case .deleted: break
            }
        }
        manager.add(RunnableTask(needsLeaderElection: false) { [weak self] in await self?.collectMetricsPeriodically() })
    }

    // MARK: State

    /// The model in use (the leader trains and loads it).
    public var model: ModelHolder { modelRunnable.holder }

    /// The model's training and storage (run by the leader).
    public var modelLifecycle: ModelLifecycle { modelRunnable.lifecycle }

    /// The controllers, by name (discoveryjob, cloudresource, taggingrule, tagapproval).
    public var controllers: [String: Controller] { manager.controllers }

    public var elector: LeaderElector? { manager.elector }

    /// Whether this replica runs the controllers now.
    public var isLeader: Bool { manager.isLeader }

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
        stopping.signal()
        manager.stop()
    }

    /// Runs until `stop()` (returns normally), cancellation (returns at once), or lost leadership
    /// (throws `ReconcileError.leadershipLost`).
    public func run() async throws {
        logger.info("manager starting", metadata: [
            "namespaces": .string(settings.namespaces.isEmpty ? "all" : settings.namespaces.joined(separator: ",")),
            "leaderElection": .stringConvertible(settings.leaderElection != nil),
        ])
        let outcome: Manager.Outcome
        do {
            outcome = try await manager.run()
        } catch {
            throw ReconcileError.managerAlreadyRun
        }
        await discovery.stopRuns()
        if outcome == .leadershipLost, let le = settings.leaderElection {
            logger.error("lost leadership; stopping")
            throw ReconcileError.leadershipLost(lease: "\(le.leaseNamespace)/\(le.leaseName)")
        }
        logger.info("manager stopped")
    }

    private static func reportSyncs(_ caches: [(String, any SyncReporting)], settings: Settings, logger: Logger) async {
        await withDiscardingTaskGroup { group in
            for (name, cache) in caches {
                group.addTask {
                    await cache.waitForSync()
                    guard !Task.isCancelled else { return }
                    logger.info("cache synced", metadata: ["cache": .string(name)])
                    settings.onCacheSynced?(name)
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

/// An informer's sync, whatever its kind (for readiness reports).
protocol SyncReporting: Sendable {
    func waitForSync() async
}

extension Informer: SyncReporting {}
