import Foundation
import KubeCore
import Logging
import Metrics

/// Leader election on a coordination.k8s.io/v1 Lease, with client-go's algorithm:
///
/// - A candidate reads the Lease. It takes it when nobody holds it (no holder, or released), or when
///   the holder has not renewed for `leaseDuration`, measured on the candidate's own clock since it
///   last saw the record change (so clock skew between machines does not matter). Takeovers bump
///   `leaseTransitions` and set `acquireTime`. Writes carry the resourceVersion they read, so two
///   candidates cannot both win (409 Conflict for the loser).
/// - The leader renews every `retryPeriod`. If it cannot renew for `renewDeadline`, it has lost:
///   the leading work is cancelled and `run` returns `.lost` (the process should then stop).
/// - On shutdown (cancellation of `run`) the leader waits for its work to stop, then releases the
///   Lease: empty holder and `leaseDurationSeconds: 1` (client-go's ReleaseOnCancel), so a standby
///   takes over at its next retry instead of waiting out the lease.
///
/// Times in the Lease are MicroTime (RFC 3339 with microseconds), as the API server requires.
public final class LeaderElector: Sendable {
    public struct Configuration: Sendable {
        public var leaseName: String
        public var leaseNamespace: String
        /// Unique per process: hostname plus a random suffix by default.
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration
        /// Release the lease when `run` is cancelled. Off only to simulate a crashed leader in tests.
        public var releaseOnCancel: Bool
        public var clock: any RuntimeClock
        public var metricsFactory: any MetricsFactory
        public var logger: Logger

        public init(
            leaseName: String, leaseNamespace: String, identity: String = LeaderElector.defaultIdentity(),
            leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2),
            releaseOnCancel: Bool = true, clock: any RuntimeClock = SystemRuntimeClock(),
            metricsFactory: any MetricsFactory = MetricsSystem.factory, logger: Logger = Logger(label: "vtag.leader-election")
        ) {
            self.leaseName = leaseName
            self.leaseNamespace = leaseNamespace
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
            self.releaseOnCancel = releaseOnCancel
            self.clock = clock
            self.metricsFactory = metricsFactory
            self.logger = logger
        }

        /// Checks the relations client-go insists on.
        public func validate() throws(KubeClientError) {
            guard leaseDuration > renewDeadline else {
                throw .invalidLeaderElection("leaseDuration (\(leaseDuration)) must be greater than renewDeadline (\(renewDeadline))")
            }
            guard renewDeadline > retryPeriod * 1.2 else {
                throw .invalidLeaderElection("renewDeadline (\(renewDeadline)) must be greater than 1.2 × retryPeriod (\(retryPeriod))")
            }
            guard leaseDuration >= .seconds(1) else {
                throw .invalidLeaderElection("leaseDuration (\(leaseDuration)) must be at least 1s: the Lease stores whole seconds")
            }
            guard !identity.isEmpty else { throw .invalidLeaderElection("identity must not be empty") }
        }
    }

    /// How `run` ended.
    public enum Outcome: Sendable, Equatable {
        /// Renewal failed for `renewDeadline`: another candidate may lead now.
        case lost
        /// `run` was cancelled (shutdown); the lease was released if we held it.
        case cancelled
        /// The leading work returned by itself; the lease was released.
        case finished
    }

    public let configuration: Configuration
    private let api: Api<Lease>
    private let status: Gauge
    private let logger: Logger

    private struct Observation {
        var spec: Lease.Spec?
        var resourceVersion: String?
        /// Local time when `spec` last changed.
        var observedAt: ContinuousClock.Instant
        var leading = false
        var attempts = 0
    }
    private let observed: Locked<Observation>

    public init(client: KubeClient, _ configuration: Configuration) throws(KubeClientError) {
        try configuration.validate()
        self.configuration = configuration
        self.api = Api<Lease>(client: client, namespace: configuration.leaseNamespace)
        self.status = Gauge(label: "leader_election_master_status", dimensions: [("name", configuration.leaseName)], factory: configuration.metricsFactory)
        var logger = configuration.logger
        logger[metadataKey: "lease"] = .string("\(configuration.leaseNamespace)/\(configuration.leaseName)")
        logger[metadataKey: "identity"] = .string(configuration.identity)
        self.logger = logger
        self.observed = Locked(Observation(observedAt: configuration.clock.now))
        status.record(0)
    }

    /// hostname + "_" + random suffix, like client-go's default ids.
    public static func defaultIdentity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host.isEmpty ? "vtag" : host)_\(UUID().uuidString.prefix(8).lowercased())"
    }

    public var isLeader: Bool { observed.withLock { $0.leading } }

    /// Number of completed acquire/renew attempts (tests step a manual clock by it).
    public var attempts: Int { observed.withLock { $0.attempts } }

    /// The holder of the lease as last read.
    public var observedHolder: String? { observed.withLock { $0.spec?.holderIdentity } }

    /// Campaigns until elected, runs `whileLeading` while the lease is held, and returns when
    /// leadership is lost (the work is cancelled first), the work returns, or this task is cancelled.
    @discardableResult
    public func run(whileLeading: @escaping @Sendable () async throws -> Void) async -> Outcome {
        guard await acquire() else { return .cancelled }
        let outcome: Outcome = await withTaskGroup(of: Outcome.self) { group in
            group.addTask {
                do { try await whileLeading() } catch {
                    if !(error is CancellationError) {
                        self.logger.error("leading work failed", metadata: ["error": "\(error)"])
                    }
                }
                return Task.isCancelled ? .cancelled : .finished
            }
            group.addTask { await self.renewUntilLost() ? .lost : .cancelled }
            let first = await group.next() ?? .cancelled
            group.cancelAll()
            // Wait for the work to stop before giving the lease away: two leaders must never overlap.
            while await group.next() != nil {}
            return Task.isCancelled ? .cancelled : first
        }
        setLeading(false)
        if outcome == .lost {
            logger.warning("lost the lease: stopped leading")
        } else if configuration.releaseOnCancel || outcome == .finished {
            await release()
        }
        return outcome
    }

    // MARK: Campaign

    /// Retries until the lease is ours; false when cancelled first.
    private func acquire() async -> Bool {
        logger.info("campaigning for the lease")
        while !Task.isCancelled {
            if await tryAcquireOrRenew() {
                setLeading(true)
                logger.info("became leader")
                return true
            }
            // client-go's jitter (up to +20%) keeps candidates from retrying in lockstep.
            let jittered = configuration.retryPeriod * Double.random(in: 1.0...1.2)
            do { try await configuration.clock.sleep(for: jittered) } catch { return false }
        }
        return false
    }

    /// Renews every retryPeriod; returns true when renewal failed for renewDeadline (lost),
    /// false when cancelled.
    private func renewUntilLost() async -> Bool {
        let clock = configuration.clock
        var lastRenew = clock.now
        while true {
            do { try await clock.sleep(for: configuration.retryPeriod) } catch { return false }
            if await tryAcquireOrRenew() {
                lastRenew = clock.now
            } else if Task.isCancelled {
                return false
            } else if clock.now - lastRenew >= configuration.renewDeadline {
                return true
            }
        }
    }

    /// One attempt: read, decide, write. True when we hold the lease afterwards.
    func tryAcquireOrRenew() async -> Bool {
        defer { observed.withLock { $0.attempts += 1 } }
        let clock = configuration.clock
        let me = configuration.identity
        let now = Date()
        let leaseSeconds = Int32((configuration.leaseDuration.components.seconds))
        do {
            guard let current = try await api.getOptional(configuration.leaseName) else {
                let spec = Lease.Spec(holderIdentity: me, leaseDurationSeconds: leaseSeconds, acquireTime: MicroTime(now),
                                      renewTime: MicroTime(now), leaseTransitions: 0)
                let created = try await api.create(Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.leaseNamespace), spec: spec))
                observe(created, at: clock.now)
                return true
            }
            observe(current, at: clock.now)
            let spec = current.spec ?? Lease.Spec()
            let holder = spec.holderIdentity ?? ""
            if !holder.isEmpty && holder != me {
                let (observedAt, duration) = observed.withLock { o in
                    (o.observedAt, Duration.seconds(Int64(o.spec?.leaseDurationSeconds ?? leaseSeconds)))
                }
                if clock.now < observedAt.advanced(by: duration) {
                    return false  // held by someone else, not expired
                }
            }
            var next = spec
            if holder != me {
                next.acquireTime = MicroTime(now)
                next.leaseTransitions = (spec.leaseTransitions ?? 0) + 1
            }
            next.holderIdentity = me
            next.leaseDurationSeconds = leaseSeconds
            next.renewTime = MicroTime(now)
            var lease = current
            lease.spec = next
            let updated = try await api.replace(lease)
            observe(updated, at: clock.now)
            return true
        } catch let error as KubeClientError where error.isConflict || error.isAlreadyExists {
            logger.debug("lost a race for the lease", metadata: ["error": "\(error)"])
            return false
        } catch {
            if !Task.isCancelled { logger.warning("lease request failed", metadata: ["error": "\(error)"]) }
            return false
        }
    }

    /// Gives the lease away at once (empty holder, 1 s duration), if we hold it.
    ///
    /// A renewal cancelled by the shutdown may still have reached the server, so our last observed
    /// resourceVersion can be stale: on a conflict, read the lease again and release it if it is still ours
    /// (a few times at most; a standby takes over at expiry anyway).
    private func release() async {
        guard var lease = observed.withLock({ o -> Lease? in
            guard o.spec?.holderIdentity == configuration.identity else { return nil }
            return Lease(metadata: ObjectMeta(name: configuration.leaseName, namespace: configuration.leaseNamespace, resourceVersion: o.resourceVersion), spec: o.spec)
        }) else { return }
        // Not cancellable: this runs while shutting down, when our task is already cancelled.
        let api = self.api
        let identity = configuration.identity, leaseName = configuration.leaseName
        for attempt in 1...3 {
            let now = MicroTime(Date())
            var released = lease
            released.spec?.holderIdentity = ""
            released.spec?.leaseDurationSeconds = 1
            released.spec?.renewTime = now
            released.spec?.acquireTime = now
            do {
                let result = try await Task.detached { try await api.replace(released) }.value
                observe(result, at: configuration.clock.now)
                logger.info("released the lease")
                return
            } catch let error as KubeClientError where error.isConflict && attempt < 3 {
                logger.debug("lease changed since we last saw it; reading it again to release it", metadata: ["error": "\(error)"])
                guard let current = try? await Task.detached(operation: { try await api.get(leaseName) }).value,
                      current.spec?.holderIdentity == identity else { return }
                lease = current
            } catch {
                logger.warning("could not release the lease; a standby takes over when it expires", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private func observe(_ lease: Lease, at now: ContinuousClock.Instant) {
        observed.withLock { o in
            if o.spec != lease.spec { o.observedAt = now }
            o.spec = lease.spec
            o.resourceVersion = lease.metadata.resourceVersion
        }
    }

    private func setLeading(_ leading: Bool) {
        observed.withLock { $0.leading = leading }
        status.record(leading ? 1 : 0)
    }
}
