// The periodic re-evaluation: a reconcile with nothing to change asks for no requeue; the manager puts
// every resource back in the queue once per reevaluateInterval, so a resource nobody touched is evaluated
// again (its evaluatedAt moves). Against the test server, or a real cluster with VTAG_E2E_KUBECONFIG.
import Foundation
import K8sClient
import Reconcilers
import TaggingAPI
import Testing

@Suite("Operator periodic re-evaluation E2E")
struct OperatorResyncE2ETests {
    @Test func untouchedResourcesAreEvaluatedAgainEveryInterval() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "resync") { env, ns in
            var settings = OperatorE2E.settings(namespace: ns, identity: "resync")
            settings.tagging.reevaluateInterval = .seconds(3)
            try await RunningManager.with(client: env.client, settings: settings) { _ in
                _ = try await Api<DiscoveryJob>(client: env.client, namespace: ns).create(env.simulatedJob("small", count: 20, seed: 3))
                var first: [String: Date] = [:]
                #expect(try await env.eventually {
                    let all = try await env.cloudResources(ns)
                    first = Dictionary(uniqueKeysWithValues: all.compactMap { r in r.status?.evaluatedAt.map { (r.name, $0) } })
                    return all.count == 20 && first.count == 20
                }, "every resource evaluated once")
                #expect(try await env.eventually(timeout: .seconds(60)) {
                    let all = try await env.cloudResources(ns)
                    return all.allSatisfy { r in
                        guard let before = first[r.name], let now = r.status?.evaluatedAt else { return false }
                        return now > before
                    }
                }, "every resource evaluated again without any change to it")
            }
        }
    }
}
