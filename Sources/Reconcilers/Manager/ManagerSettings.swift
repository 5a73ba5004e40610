import Foundation
import K8sClient
import Logging
import Metrics

extension VTagManager {
    /// Leader election on a coordination.k8s.io Lease (client-go's timings by default).
    public struct LeaderElection: Sendable {
        public var leaseNamespace: String
        public var leaseName: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration
        /// Give the lease away on a graceful stop (so a standby takes over at once). Tests turn it off
        /// to simulate a killed process, whose lease must expire first.
        public var releaseOnCancel: Bool

        public init(
            leaseNamespace: String, leaseName: String = "vtag-operator-leader", leaseDuration: Duration = .seconds(15),
            renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2), releaseOnCancel: Bool = true
        ) {
            self.leaseNamespace = leaseNamespace
            self.leaseName = leaseName
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.releaseOnCancel = releaseOnCancel
        }
    }

    public struct Settings: Sendable {
        /// Namespaces to watch; empty watches all namespaces.
        public var namespaces: [String]
        /// Thresholds, required keys, re-evaluation interval, approval TTL, model location.
        public var tagging: TaggingSettings
        /// Concurrent reconciles per controller.
        public var workers: Int
        /// nil: this process always leads (a single replica, tests).
        public var leaderElection: LeaderElection?
        /// On stop, in-flight reconciles get most of this to finish; the rest is for releasing the lease.
        public var shutdownDeadline: Duration
        /// Who this replica is: the Lease holder and the Events' reporting instance.
        public var identity: String
        /// How a DiscoveryJob's provider is built (tests substitute their own).
        public var providers: ProviderFactory
        /// CloudResource writes in flight per discovery run.
        public var discoveryWriteConcurrency: Int
        /// How often the leader checks whether the estate changed and retrains the model if so.
        public var modelRetrainInterval: Duration
        /// On a fresh install, how long the first model waits for a first discovery in flight before tagging
        /// starts with what is discovered by then (`ModelLifecycle.run`'s `firstModelPatience`). Longer: fewer
        /// resources evaluated twice (before and after the catch-up training) on a long first discovery.
        public var firstModelWait: Duration
        /// How often the `vtag_*` gauges are recomputed from the caches.
        public var metricsInterval: Duration
        public var metricsFactory: any MetricsFactory
        /// The informers' list+watch settings (page size, backoff).
        public var watcher: WatcherConfig
        /// Called once per cache (`VTagManager.cacheNames`) when it has synced: readiness checks.
        public var onCacheSynced: (@Sendable (String) -> Void)?
        public var logger: Logger

        public init(
            namespaces: [String] = [], tagging: TaggingSettings = TaggingSettings(), workers: Int = 4,
            leaderElection: LeaderElection? = nil, shutdownDeadline: Duration = .seconds(30),
            identity: String = LeaderElector.defaultIdentity(), firstModelWait: Duration = .seconds(300), providers: @escaping ProviderFactory = DefaultProviders.factory,
            discoveryWriteConcurrency: Int = 16, modelRetrainInterval: Duration = .seconds(600), metricsInterval: Duration = .seconds(15),
            metricsFactory: any MetricsFactory = MetricsSystem.factory, watcher: WatcherConfig = WatcherConfig(),
            onCacheSynced: (@Sendable (String) -> Void)? = nil, logger: Logger = Logger(label: "vtag.manager")
        ) {
            self.namespaces = namespaces
            self.tagging = tagging
            self.workers = max(1, workers)
            self.leaderElection = leaderElection
            self.shutdownDeadline = shutdownDeadline
            self.identity = identity
            self.providers = providers
            self.discoveryWriteConcurrency = max(1, discoveryWriteConcurrency)
            self.modelRetrainInterval = modelRetrainInterval
            self.firstModelWait = firstModelWait
            self.metricsInterval = metricsInterval
            self.metricsFactory = metricsFactory
            self.watcher = watcher
            self.onCacheSynced = onCacheSynced
            self.logger = logger
        }

        /// How long in-flight reconciles may take after a stop: two thirds of the deadline, leaving
        /// the rest for stopping discovery runs and releasing the lease.
        var drainTimeout: Duration { shutdownDeadline * (2.0 / 3.0) }
    }
}
