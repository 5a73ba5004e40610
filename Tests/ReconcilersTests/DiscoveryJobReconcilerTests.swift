import Discovery
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport

@testable import Reconcilers

/// A provider that yields what the test tells it to, in pages, with optional partial failures.
struct ScriptedProvider: DiscoveryProvider {
    var specs: [CloudResourceSpec]
    var failures: [DiscoveryFailure] = []
    var pageSize = 7
    var description: String { "scripted (\(specs.count))" }

    func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        AsyncThrowingStream { continuation in
            var i = 0
            while i < specs.count {
                continuation.yield(.resources(Array(specs[i..<min(i + pageSize, specs.count)])))
                i += pageSize
            }
            for f in failures { continuation.yield(.failure(f)) }
            continuation.finish()
        }
    }
}

/// What the scripted provider returns on each run, settable between runs.
final class Script: @unchecked Sendable {
    private let lock = NSLock()
    private var provider = ScriptedProvider(specs: [])
    var current: ScriptedProvider {
        get { lock.withLock { provider } }
        set { lock.withLock { provider = newValue } }
    }
}

func crdFiles() -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let dir = root.appendingPathComponent("crds")
    return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
        .filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
}

func instances(_ n: Int, prefix: String = "i-") -> [CloudResourceSpec] {
    (0..<n).map { i in
        CloudResourceSpec(
            provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/\(prefix)\(i)", type: "ec2:instance",
            name: "web-\(i)", account: "123456789012", region: "eu-west-1", nativeTags: ["Name": "web-\(i)", "env": "prod"])
    }
}

/// Waits (bounded) until `condition` holds.
func eventually(_ what: String, timeout: Duration = .seconds(90), _ condition: @Sendable () async throws -> Bool) async throws {
    if try await waitUntil(timeout: timeout, condition) { return }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}

@Suite(.serialized) struct DiscoveryJobReconcilerTests {
    /// Runs the DiscoveryJob controller against a fresh API test server for the body's duration.
    func withOperator(_ script: Script, _ body: (KubeClient, KubeAPITestServer, DiscoveryJobReconciler) async throws -> Void) async throws {
        try await withOperator(providers: { _, _ in script.current }, body)
    }

    func withOperator(providers: @escaping ProviderFactory, _ body: (KubeClient, KubeAPITestServer, DiscoveryJobReconciler) async throws -> Void) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles()))
        let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
        let jobs = Informer(api: Api<DiscoveryJob>.all(client))
        let resources = Informer(api: Api<CloudResource>.all(client))
        let reconciler = DiscoveryJobReconciler(
            client: client, jobs: jobs.store, resources: resources.store, events: nil,
            providers: providers, writeConcurrency: 4)
        let controller = Controller(name: "discoveryjob", workers: 2) { try await reconciler.reconcile($0) }
        controller.watch(jobs)
        controller.owns(resources, owner: DiscoveryJob.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await jobs.run() }
            group.addTask { try await resources.run() }
            group.addTask { try await controller.run() }
            defer { group.cancelAll() }
            try await body(client, server, reconciler)
            await reconciler.stopRuns()
        }
        try await server.shutdown()
    }

    func job(_ name: String, schedule: String? = nil) -> DiscoveryJob {
        DiscoveryJob(
            metadata: ObjectMeta(name: name, namespace: "default"),
            spec: DiscoveryJobSpec(provider: .simulated, schedule: schedule, simulated: .init(count: 1), vanishedTTL: "1h"))
    }

    @Test func runOnceUpsertsEveryResourceAndRecordsTheRun() async throws {
        let script = Script()
        script.current = ScriptedProvider(specs: instances(25))
        try await withOperator(script) { client, server, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            _ = try await jobs.create(job("once"))
            try await eventually("the run is recorded") { try await jobs.get("once").status?.lastRun != nil }
            let status = try #require(try await jobs.get("once").status)
            let run = try #require(status.lastRun)
            #expect(run.discovered == 25)
            #expect(run.created == 25)
            #expect(run.errors == 0)
            #expect(status.activeRun == nil)
            #expect(status.conditions?.find("Ready")?.status == .true)
            #expect(status.lastSuccessfulTime != nil)

            let all = try await Api<CloudResource>(client: client, namespace: "default").listAll().items
            #expect(all.count == 25)
            let expectedNames = Set(instances(25).map { ResourceNaming.name(provider: $0.provider, id: $0.id) })
            #expect(Set(all.map(\.name)) == expectedNames)
            #expect(all.allSatisfy { $0.metadata.ownerReferences?.first?.name == "once" })
            #expect(all.allSatisfy { $0.metadata.labels?[VTag.Label.region] == "eu-west-1" })

            // Nothing more happens: run-once jobs do not run again by themselves.
            let writes = server.requests().filter { $0.verb == "create" && $0.resource == "cloudresources" }.count
            try await Task.sleep(for: .milliseconds(300))
            #expect(server.requests().filter { $0.verb == "create" && $0.resource == "cloudresources" }.count == writes)
        }
    }

    @Test func requestedRerunMarksVanishedKeepsManualTagsAndWritesOnlyChanges() async throws {
        let script = Script()
        script.current = ScriptedProvider(specs: instances(10))
        try await withOperator(script) { client, server, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            let res = Api<CloudResource>(client: client, namespace: "default")
            _ = try await jobs.create(job("rerun"))
            try await eventually("first run") { try await jobs.get("rerun").status?.lastRun != nil }

            // A person tags one resource by hand; the provider now misses two resources.
            let first = ResourceNaming.name(provider: "aws", id: instances(10)[0].id)
            _ = try await res.patch(first, .merge(.object(["spec": .object(["manualTags": .object(["team": .string("payments")])])])))
            script.current = ScriptedProvider(specs: Array(instances(10).prefix(8)))
            server.clearRequests()
            _ = try await jobs.patch("rerun", .merge(.object(["metadata": .object(["annotations": .object([VTag.runRequestedAnnotation: .string("now-1")])])])))
            try await eventually("second run") { try await jobs.get("rerun").status?.history?.count == 2 }

            let status = try await jobs.get("rerun").status
            #expect(status?.lastRun?.vanished == 2)
            #expect(status?.lastRun?.created == 0)
            #expect(status?.lastRun?.updated == 0)
            #expect(status?.observedRunRequest == "now-1")
            let vanished = try await res.listAll().items.filter { $0.status?.phase == .vanished }.map(\.name)
            let missing = instances(10).suffix(2).map { ResourceNaming.name(provider: "aws", id: $0.id) }
            #expect(Set(vanished) == Set(missing))
            #expect(try await res.get(first).spec.manualTags == ["team": "payments"])
            // Unchanged resources cost no write at all.
            #expect(server.requests().filter { $0.resource == "cloudresources" && ($0.verb == "patch" || $0.verb == "create") && $0.subresource == nil }.isEmpty)
        }
    }

    @Test func partialFailureKeepsWhatWasFoundAndDoesNotMarkVanished() async throws {
        let script = Script()
        script.current = ScriptedProvider(specs: instances(6))
        try await withOperator(script) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            _ = try await jobs.create(job("partial"))
            try await eventually("first run") { try await jobs.get("partial").status?.lastRun != nil }
            script.current = ScriptedProvider(
                specs: Array(instances(6).prefix(3)),
                failures: [DiscoveryFailure(scope: "rds:db in eu-west-1", message: "not authorized to call rds:DescribeDBInstances")])
            _ = try await jobs.patch("partial", .merge(.object(["metadata": .object(["annotations": .object([VTag.runRequestedAnnotation: .string("again")])])])))
            try await eventually("second run") { try await jobs.get("partial").status?.history?.count == 2 }
            let status = try #require(try await jobs.get("partial").status)
            #expect(status.lastRun?.errors == 1)
            #expect(status.lastRun?.vanished == 0)
            #expect(status.lastRun?.errorMessages?.first?.contains("rds:DescribeDBInstances") == true)
            #expect(status.conditions?.find("Ready")?.status == .false)
            #expect(status.conditions?.find("Ready")?.reason == "RunFailed")
            let phases = try await Api<CloudResource>(client: client, namespace: "default").listAll().items.map { $0.status?.phase }
            #expect(phases.count == 6)
            #expect(!phases.contains(.vanished))
        }
    }

    @Test func invalidScheduleIsReportedNotRun() async throws {
        let script = Script()
        script.current = ScriptedProvider(specs: instances(2))
        try await withOperator(script) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            // The schema's pattern may refuse this at admission; the reconciler must cope either way.
            do {
                _ = try await jobs.create(job("bad", schedule: "0 25 * * *"))
            } catch let error as KubeClientError where error.isInvalid {
                return
            }
            try await eventually("Ready=False") { try await jobs.get("bad").status?.conditions?.find("Ready")?.reason == "InvalidSchedule" }
            #expect(try await jobs.get("bad").status?.lastRun == nil)
        }
    }

    @Test func simulatedJobDiscoversItsEstateThroughTheDefaultProviders() async throws {
        try await withOperator(providers: DefaultProviders.factory) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            var sim = job("sim")
            sim.spec.simulated = .init(count: 120, seed: 7)
            _ = try await jobs.create(sim)
            try await eventually("the simulated run") { try await jobs.get("sim").status?.lastRun != nil }
            let run = try #require(try await jobs.get("sim").status?.lastRun)
            #expect(run.errors == 0)
            #expect(run.discovered == 120)
            let items = try await Api<CloudResource>(client: client, namespace: "default").listAll().items
            #expect(items.count == 120)
            #expect(Set(items.map(\.spec.provider)).isSubset(of: ["aws", "gcp", "azure"]))
        }
    }

    @Test func missingCredentialsSecretIsReportedWithItsName() async throws {
        try await withOperator(providers: DefaultProviders.factory) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            let aws = DiscoveryJob(
                metadata: ObjectMeta(name: "aws", namespace: "default"),
                spec: DiscoveryJobSpec(provider: .aws, aws: .init(regions: ["eu-west-1"], credentialsSecretRef: .init(name: "nope"))))
            _ = try await jobs.create(aws)
            try await eventually("the failed run") { try await jobs.get("aws").status?.lastRun != nil }
            let status = try #require(try await jobs.get("aws").status)
            let ready = try #require(status.conditions?.find("Ready"))
            #expect(ready.status == .false)
            #expect(ready.reason == "SecretNotFound")
            #expect(ready.message.contains("default/nope"))
            #expect(status.lastSuccessfulTime == nil)
        }
    }
}

/// A provider that yields one page, then waits for more until its consumer is cancelled: a provider's stream
/// (like every AsyncThrowingStream) then ends quietly rather than throwing.
struct StalledProvider: DiscoveryProvider {
    var first: [CloudResourceSpec]
    var description: String { "stalled after \(first.count)" }

    func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        AsyncThrowingStream { continuation in continuation.yield(.resources(first)) }
    }
}

@Suite struct DiscoveryRunCancellationTests {
    /// A run cancelled while it waits for its provider (the operator losing its lease, or shutting down) is left
    /// for the next leader: it does not try to record itself, so the claim stays and the run is resumed from the
    /// start. (The provider's stream ended quietly on the cancellation and the run went on to record itself: only
    /// the cancelled status request kept it from it, and under load, once in an E2E run, the request went through.)
    @Test func aRunCancelledWhileWaitingForItsProviderIsNotRecordedAsFinished() async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles()))
        let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
        let first = instances(3, prefix: "stall-")
        let logs = CapturedLogs()
        let executor = DiscoveryRunExecutor(
            client: client, jobs: Store(), resources: Store(), events: nil,
            providers: { _, _ in StalledProvider(first: first) }, references: ReferenceReader(client: client),
            writeConcurrency: 2, now: { Date() }, logger: logs.logger)
        let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
        let job = try await jobs.create(DiscoveryJob(
            metadata: ObjectMeta(name: "stalled", namespace: "default"),
            spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 1))))
        let run = Task { await executor.execute(job: job, run: DiscoveryRun(trigger: "Initial", startedAt: Date())) }
        let resources = Api<CloudResource>(client: client, namespace: "default")
        try await eventually("the first page is written") { try await resources.listAll().items.count == first.count }
        run.cancel()
        try await withDeadline(.seconds(60), "the cancelled run") { await run.value }
        #expect(try await jobs.get("stalled").status?.lastRun == nil)
        #expect(logs.contains("discovery run cancelled; the next leader resumes it"), "\(logs.all)")
        #expect(!logs.contains("could not record the discovery run"), "a cancelled run does not try to record itself")
        try await server.shutdown()
    }
}
