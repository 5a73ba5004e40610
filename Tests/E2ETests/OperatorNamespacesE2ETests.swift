// --namespace: a manager watching two namespaces serves both, ignores a third, and keeps both
// namespaces' objects through a relist of the merged watches (410 after compaction on the test server).
import Foundation
import K8sClient
import Reconcilers
import TaggingAPI
import Testing

@Suite("Operator namespaces E2E")
struct OperatorNamespacesE2ETests {
    @Test func watchesOnlyTheNamespacesItIsGivenAndKeepsThemThroughARelist() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "ns-a") { env, a in
            let b = try await env.makeNamespace("ns-b")
            let other = try await env.makeNamespace("ns-other")
            defer { Task { await env.deleteNamespace(b); await env.deleteNamespace(other) } }
            var settings = OperatorE2E.settings(namespace: a, identity: "namespaces")
            settings.namespaces = [a, b]
            try await RunningManager.with(client: env.client, settings: settings) { running in
                for (ns, count) in [(a, 7), (b, 5), (other, 3)] {
                    _ = try await Api<DiscoveryJob>(client: env.client, namespace: ns).create(env.simulatedJob("estate", count: count, seed: Int64(count)))
                }
                let ran = try await env.eventually {
                    let createdA = try await Api<DiscoveryJob>(client: env.client, namespace: a).get("estate").status?.lastRun?.created
                    let createdB = try await Api<DiscoveryJob>(client: env.client, namespace: b).get("estate").status?.lastRun?.created
                    return createdA == 7 && createdB == 5
                }
                if !ran {
                    let sa = try? await Api<DiscoveryJob>(client: env.client, namespace: a).get("estate").status
                    let sb = try? await Api<DiscoveryJob>(client: env.client, namespace: b).get("estate").status
                    Issue.record("jobs: \(String(describing: sa)) / \(String(describing: sb)); cached: \(running.manager.jobs.store.list().map { $0.metadata.namespace ?? "" })")
                }
                // Each job ran once: a run whose claim the cache still showed after it ended used to be
                // resumed as if interrupted, and ran a second time.
                for ns in [a, b] {
                    let history = try await Api<DiscoveryJob>(client: env.client, namespace: ns).get("estate").status?.history ?? []
                    #expect(history.count == 1, "runs of the job in \(ns): \(history.map { "\($0.trigger ?? "?") created \($0.created)" })")
                }
                // The job's status is written after its creates; the informer may still be catching up.
                #expect(try await env.eventually { running.manager.resources.store.count == 12 }, "both namespaces in the cache")
                if let server = env.server {
                    server.faults.compact()
                    server.faults.dropWatches()
                    _ = try await Api<DiscoveryJob>(client: env.client, namespace: b).create(env.simulatedJob("more", count: 4, seed: 99))
                    #expect(try await env.eventually { running.manager.resources.store.count == 16 }, "both namespaces after the relist")
                    #expect(running.manager.resources.store.list(namespace: a).count == 7)
                }
                // The third namespace was never looked at.
                #expect(try await Api<DiscoveryJob>(client: env.client, namespace: other).get("estate").status == nil)
                #expect(try await env.cloudResources(other).isEmpty)
            }
        }
    }
}
