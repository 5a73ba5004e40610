// Support for the operator E2E scenarios: a VTagManager run in-process against the test server or,
// with VTAG_E2E_KUBECONFIG, a real cluster (watching only the test's namespace, leasing in it).
import Discovery
import Foundation
import K8sClient
import KubeCore
import Logging
import Reconcilers
import TaggingAPI
import Testing
import VTagTestSupport

enum OperatorE2E {
    /// How long a flow over an estate may take to settle (discovered, evaluated, the model caught up), at most.
    /// A bound on the wait, not a measurement: over HTTP/2 a debug build spends about 1.5x the CPU per request
    /// of HTTP/1.1 (swift-nio-http2 and HPACK unoptimised, on both sides), and a CI machine runs the suite in
    /// parallel.
    static let settleBound: Duration = .seconds(480)

    static let crds = ["cloudresources.vtag.dev.yaml", "discoveryjobs.vtag.dev.yaml", "taggingrules.vtag.dev.yaml", "tagapprovals.vtag.dev.yaml"]

    /// Lease timings for tests: generous enough that a loaded 2-core machine does not lose a renewal,
    /// short enough that a killed leader's lease expires within seconds.
    static func election(_ namespace: String, releaseOnCancel: Bool = true) -> VTagManager.LeaderElection {
        .init(leaseNamespace: namespace, leaseName: "vtag-e2e-leader", leaseDuration: .seconds(6), renewDeadline: .seconds(4),
              retryPeriod: .milliseconds(500), releaseOnCancel: releaseOnCancel)
    }

    static func settings(
        namespace: String, identity: String, election: VTagManager.LeaderElection? = nil,
        tagging: TaggingSettings? = nil, providers: @escaping ProviderFactory = DefaultProviders.factory,
        firstModelWait: Duration = .seconds(300), onCacheSynced: (@Sendable (String) -> Void)? = nil
    ) -> VTagManager.Settings {
        var logger = Logger(label: "vtag.e2e.\(identity)")
        // VTAG_E2E_LOG=info (or debug) shows what the managers do.
        logger.logLevel = ProcessInfo.processInfo.environment["VTAG_E2E_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        let modelDefaults = TaggingSettings()
        return VTagManager.Settings(
            namespaces: [namespace],
            tagging: tagging ?? TaggingSettings(
                inference: modelDefaults.inference, reevaluateInterval: modelDefaults.reevaluateInterval,
                approvalTTL: modelDefaults.approvalTTL, modelNamespace: namespace, modelConfigMap: "vtag-model"),
            workers: 4, leaderElection: election, shutdownDeadline: .seconds(20), identity: identity, firstModelWait: firstModelWait,
            providers: providers, discoveryWriteConcurrency: 8, metricsInterval: .seconds(1),
            watcher: WatcherConfig(initialBackoff: .milliseconds(100), maxBackoff: .seconds(1)),
            onCacheSynced: onCacheSynced, logger: logger)
    }
}

extension OperatorE2E {
    /// Read-modify-write of an object, again on 409 (the operator writes statuses meanwhile).
    @discardableResult
    static func update<T: KubernetesObject>(_ api: Api<T>, _ name: String, _ change: (inout T) -> Void) async throws -> T {
        for attempt in 1...10 {
            var object = try await api.get(name)
            change(&object)
            do { return try await api.replace(object) } catch let error as KubeClientError where error.isConflict && attempt < 10 {
                continue
            }
        }
        throw E2EError("\(name): still conflicting after 10 attempts")
    }
}

/// A manager running in a task: `stop()` is SIGTERM, `kill()` cancels it outright.
final class RunningManager: Sendable {
    let manager: VTagManager
    let task: Task<Void, any Error>

    init(_ manager: VTagManager) {
        self.manager = manager
        task = Task { try await manager.run() }
    }

    convenience init(client: KubeClient, settings: VTagManager.Settings) throws {
        self.init(try VTagManager(client: client, settings: settings))
    }

    /// How long a stopped or killed manager may take to return from `run()`: its drain timeout and more.
    static let stopBound: Duration = .seconds(120)

    /// Graceful stop; returns once `run()` has returned (it must not throw). Throws `DeadlineExceeded` if it has
    /// not returned within `stopBound`: a manager that does not stop fails the test rather than hanging the run.
    func stop() async throws {
        manager.stop()
        let task = self.task
        try await withDeadline(Self.stopBound, "the manager's run() after stop()") { try await task.value }
    }

    /// Runs `body` with a manager; a graceful stop at the end, a kill if the body throws (so a failed
    /// test leaves nothing running against the namespace being deleted).
    static func with<R>(client: KubeClient, settings: VTagManager.Settings, _ body: (RunningManager) async throws -> R) async throws -> R {
        let running = try RunningManager(client: client, settings: settings)
        do {
            let result = try await body(running)
            try await running.stop()
            return result
        } catch {
            await running.kill()
            throw error
        }
    }

    /// Whether a controller has nothing queued (delayed requeues aside) and nothing in progress.
    func isIdle(_ controller: String) async -> Bool {
        guard let queue = manager.controllers[controller]?.queue else { return false }
        let queued = await queue.count
        let processing = await queue.processingCount
        return queued == 0 && processing == 0
    }

    /// Whether the tagging controllers have been idle for a second (nothing queued or in progress twice in a row).
    func settled() async throws -> Bool {
        let names = ["cloudresource", "taggingrule", "tagapproval"]
        for name in names where await !isIdle(name) { return false }
        try await Task.sleep(for: .seconds(1))
        for name in names where await !isIdle(name) { return false }
        return true
    }

    /// Whether the leader's model has caught up with the estate (there is one, trained on at least half of
    /// it: no catch-up training, hence no re-evaluation of the estate, is coming) and the tagger settled.
    func modelCaughtUpAndSettled() async throws -> Bool {
        guard manager.model.current != nil, !manager.modelLifecycle.isCatchingUp else { return false }
        return try await settled()
    }

    /// Abrupt stop, as if the process were killed: no draining (and no lease release when the
    /// election was configured with `releaseOnCancel: false`).
    func kill() async {
        task.cancel()
        let task = self.task
        do {
            _ = try await withDeadline(Self.stopBound, "the manager's run() after a kill") { try? await task.value }
        } catch {
            Issue.record(error)
        }
    }
}

/// A discovery provider that yields another provider's pages slowly, so a test can act in the
/// middle of a run.
struct PacedProvider: DiscoveryProvider {
    let base: any DiscoveryProvider
    let pause: Duration
    var description: String { "paced \(base.description)" }

    func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        let base = self.base
        let pause = self.pause
        let (stream, continuation) = AsyncThrowingStream<DiscoveryEvent, any Error>.makeStream()
        let task = Task {
            do {
                for try await event in base.discover() {
                    try await Task.sleep(for: pause)
                    continuation.yield(event)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The default providers, with simulated estates paged by `pageSize` and paced.
    static func factory(pageSize: Int, pause: Duration) -> ProviderFactory {
        { job, references in
            if job.spec.provider == .simulated, let settings = job.spec.simulated {
                return PacedProvider(base: SimulatedProvider(settings: settings, pageSize: pageSize), pause: pause)
            }
            return try await DefaultProviders.factory(job, references)
        }
    }
}

/// Names passed to a callback, for readiness checks.
final class NameLog: Sendable {
    private let names = Locked<[String]>([])
    func append(_ name: String) { names.withLock { $0.append(name) } }
    var all: [String] { names.withLock { $0 } }
}

extension E2EEnvironment {
    func simulatedJob(_ name: String, count: Int, seed: Int64 = 42, clouds: [String] = ["aws"]) -> DiscoveryJob {
        DiscoveryJob(
            metadata: ObjectMeta(name: name),
            spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: count, seed: seed, clouds: clouds)))
    }

    func cloudResources(_ namespace: String) async throws -> [CloudResource] {
        try await Api<CloudResource>(client: client, namespace: namespace).listAll().items
    }
}
