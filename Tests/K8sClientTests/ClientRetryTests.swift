import Foundation
import KubeCore
import KubeTestServer
import Testing
@testable import K8sClient

@Suite("retries, throttling and client-side rate limiting")
struct ClientRetryTests {
    @Test func tooManyRequestsIsRetriedHonouringRetryAfter() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            server.clearRequests()
            server.faults.failNext(2, status: 429, retryAfterSeconds: 1)
            _ = try await api.list()
            #expect(server.requests().map(\.responseStatus) == [429, 429, 200])
        }
    }

    @Test func tooManyRequestsGivesUpAfterTheBound() async throws {
        try await withServer(retry: RetryPolicy(maxThrottledRetries: 1, maxServerErrorRetries: 0)) { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            server.clearRequests()
            server.faults.failNext(5, status: 429, retryAfterSeconds: 0)
            let error = await #expect(throws: KubeClientError.self) { try await api.list() }
            guard case .tooManyRequests? = error else { Issue.record("not tooManyRequests: \(String(describing: error))"); return }
            #expect(server.requests().count == 2)
        }
    }

    @Test func serverErrorsAreRetriedForIdempotentVerbsOnly() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            server.clearRequests()
            server.faults.failNext(2, status: 500)
            _ = try await api.list()
            #expect(server.requests().map(\.responseStatus) == [500, 500, 200])

            server.clearRequests()
            server.faults.failNext(1, status: 500)
            let error = await #expect(throws: KubeClientError.self) {
                try await api.create(ConfigMap(metadata: ObjectMeta(name: uniqueName("once"))))
            }
            #expect(error?.isServerError == true)
            #expect(server.requests().count == 1)

            server.clearRequests()
            server.faults.failNext(10, status: 503)
            let exhausted = await #expect(throws: KubeClientError.self) { try await api.get("anything") }
            #expect(exhausted?.isServerError == true)
            #expect(server.requests().count == 1 + RetryPolicy().maxServerErrorRetries)
        }
    }

    @Test func rateLimiterAdmitsTheBurstThenHolds() async throws {
        try await withServer { server, _ in
            var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            config.qps = 0.001  // after the burst, the next token is ~17 minutes away
            config.burst = 3
            let client = try KubeClient(configuration: config)
            let api = Api<ConfigMap>(client: client, namespace: "default")
            server.clearRequests()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { _ = try? await api.list() } }
                #expect(try await eventually { server.requests().count >= 3 })
                #expect(try await eventually { await client.limiter.admitted == 5 })
                // Two callers are parked in the limiter: the server never hears of them.
                try await Task.sleep(for: .milliseconds(300))
                #expect(server.requests().count == 3)
                group.cancelAll()
            }
        }
    }
}
