import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Reconcilers
import TaggingAPI
import Testing
import VTagTestSupport
@testable import VTagCLI

@Suite("kubectl vtag discover")
struct DiscoverCommandTests {
    /// Runs the real DiscoveryJob controller with the operator's providers next to the CLI.
    func withOperator(_ body: (TestCluster) async throws -> Void) async throws {
        try await TestCluster.with { c in
            let jobs = c.informer(DiscoveryJob.self), resources = c.informer(CloudResource.self)
            let reconciler = DiscoveryJobReconciler(
                client: c.client, jobs: jobs.store, resources: resources.store, events: nil, providers: DefaultProviders.factory)
            let controller = Controller(name: "discoveryjob", workers: 2) { try await reconciler.reconcile($0) }
            controller.watch(jobs)
            controller.owns(resources, owner: DiscoveryJob.self)
            try await whileRunning([jobs.run, resources.run, controller.run]) {
                try await body(c)
                await reconciler.stopRuns()
            }
        }
    }

    /// Waits (bounded) for the job's first run, so the requested one is a second, distinct run.
    func firstRun(_ c: TestCluster, _ name: String) async throws {
        try await eventually("the initial run of \(name)") { try await c.api(DiscoveryJob.self).get(name).status?.lastRun != nil }
    }

    @Test("discover --wait requests a run through the annotation and follows it to the end")
    func waitForRun() async throws {
        try await withOperator { c in
            _ = try await c.api(DiscoveryJob.self).create(DiscoveryJob(
                metadata: ObjectMeta(name: "sim", namespace: c.namespace),
                spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 12, seed: 4, clouds: ["aws"]))))
            try await firstRun(c, "sim")
            c.server.clearRequests()
            let r = await c.cli(["discover", "sim", "--wait", "--timeout", "60s", "--poll-interval", "0.05"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.out.contains("discoveryjob/sim: run requested (vtag.dev/run-requested="), "\(r.out)")
            #expect(r.out.contains("run finished in"))
            #expect(r.out.contains("discovered 12, created 0, updated 0, vanished 0"), "\(r.out)")
            let job = try await c.api(DiscoveryJob.self).get("sim")
            let requested = try #require(job.metadata.annotations?[VTag.runRequestedAnnotation])
            #expect(job.status?.observedRunRequest == requested)
            #expect(job.status?.lastRun?.trigger == "Requested")

            let policy = try RBACPolicy.load()
            for request in c.rbacRequests() {
                #expect(policy.clusterRole("vtag-editor", allows: request), "vtag-editor may not \(request)")
            }
        }
    }

    @Test("a run that reports errors exits non-zero with its messages")
    func runWithErrors() async throws {
        try await withOperator { c in
            _ = try await Api<ConfigMap>(client: c.client, namespace: c.namespace).create(ConfigMap(
                metadata: ObjectMeta(name: "estate", namespace: c.namespace),
                data: ["estate.csv": "provider,id,type,name,account,region\naws,i-1,ec2:instance,a,1,eu-west-1\naws,,ec2:instance,b,1,eu-west-1\n"]))
            _ = try await c.api(DiscoveryJob.self).create(DiscoveryJob(
                metadata: ObjectMeta(name: "inv", namespace: c.namespace),
                spec: DiscoveryJobSpec(provider: .inventory, inventory: .init(configMapRef: .init(name: "estate", key: "estate.csv")))))
            try await firstRun(c, "inv")
            let r = await c.cli(["discover", "inv", "--wait", "--timeout", "60s", "--poll-interval", "0.05"])
            #expect(message(r.error).contains("reported 1 error"), "\(message(r.error))")
            #expect(r.out.contains("line 3"), "\(r.out)")
        }
    }

    @Test("without an operator, --wait gives up at the deadline and says what to check; a missing job is named")
    func timeout() async throws {
        try await TestCluster.with { c in
            _ = try await c.api(DiscoveryJob.self).create(DiscoveryJob(
                metadata: ObjectMeta(name: "idle", namespace: c.namespace),
                spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 1))))
            let r = await c.cli(["discover", "idle", "--wait", "--timeout", "300ms", "--poll-interval", "0.05"])
            #expect(message(r.error).contains("timed out after 300ms"), "\(message(r.error))")
            #expect(message(r.error).contains("Is the operator running"))
            #expect(r.err.contains("waiting for the operator to start the run"))
            let missing = await c.cli(["discover", "nope"])
            #expect(message(missing.error).contains("DiscoveryJob \"nope\" not found in namespace default"))
        }
    }
}
