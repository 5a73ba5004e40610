import Foundation
import KubeCore
import KubeTestServer
import Testing
@testable import K8sClient

@Suite("adaptive client pacing (AIMD on requests in flight)")
struct AdaptivePacingTests {
    @Test func fastAnswersRaiseTheLimitAndSlowOnesLowerIt() async throws {
        let pacing = AdaptivePacing(.init(initialLimit: 2, maxLimit: 8))
        // Full and answering fast: slow start adds one per answer, up to the maximum.
        for _ in 0..<20 {
            for _ in 0..<pacing.limit { try await pacing.acquire() }
            for _ in 0..<pacing.inFlight { pacing.release(.answered(latency: .milliseconds(2), representative: true)) }
        }
        #expect(pacing.limit == 8)
        // One answer far slower than the fastest seen: a tenth off, once for that moment.
        try await pacing.acquire()
        pacing.release(.answered(latency: .seconds(2), representative: true))
        #expect(pacing.limit == 7)
        #expect(pacing.decreaseCount == 1)
        // A slow list says nothing about load.
        try await pacing.acquire()
        pacing.release(.answered(latency: .seconds(30), representative: false))
        #expect(pacing.limit == 7)
    }

    @Test func anIdleClientDoesNotGrowItsLimit() async throws {
        let pacing = AdaptivePacing(.init(initialLimit: 4))
        for _ in 0..<50 {
            try await pacing.acquire()
            pacing.release(.answered(latency: .milliseconds(1), representative: true))
        }
        #expect(pacing.limit == 4)
    }

    @Test func tooManyRequestsHalvesTheLimitAndHoldsNewRequests() async throws {
        let pacing = AdaptivePacing(.init(initialLimit: 8))
        try await pacing.acquire()
        pacing.release(.throttled(retryAfter: .seconds(3600)))
        #expect(pacing.limit == 4)
        #expect(pacing.throttledCount == 1)
        #expect(pacing.isHolding)
        // A request made during the hold waits (and gives up when cancelled).
        let waiting = Task { try await pacing.acquire() }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(pacing.inFlight == 0)
    }

    @Test func interactiveRequestsGoBeforeBulkOnes() async throws {
        let pacing = AdaptivePacing(.init(initialLimit: 1, maxLimit: 1))
        try await pacing.acquire()
        let order = Arrivals()
        let bulk = Task {
            try await AdaptivePacing.$lane.withValue(.bulk) { try await pacing.acquire() }
            order.add("bulk")
        }
        #expect(try await eventually { pacing.queued(.bulk) == 1 })
        let interactive = Task {
            try await pacing.acquire()
            order.add("interactive")
        }
        #expect(try await eventually { pacing.queued(.interactive) == 1 })
        pacing.release(.failed)
        try await interactive.value
        #expect(order.names == ["interactive"], "the bulk request queued first still waits")
        pacing.release(.failed)
        try await bulk.value
        #expect(order.names == ["interactive", "bulk"])
    }

    @Test func aClientBacksOffWhenTheServerAnswersTooManyRequests() async throws {
        try await withServer { server, _ in
            var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            config.adaptivePacing = .init(initialLimit: 4, maxLimit: 32)
            let client = try KubeClient(configuration: config)
            let pacing = try #require(client.pacing)
            let api = Api<ConfigMap>(client: client, namespace: "default")
            // Many parallel creates answered quickly: the limit grows past where it started.
            try await withThrowingDiscardingTaskGroup { group in
                for i in 0..<64 { group.addTask { _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "fast-\(i)"))) } }
            }
            let grown = pacing.limit
            #expect(grown > 4)

            server.clearRequests()
            server.faults.failNext(2, status: 429, retryAfterSeconds: 1)
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "after-429")))
            #expect(server.requests().map(\.responseStatus) == [429, 429, 201], "each 429 retried after its Retry-After")
            #expect(pacing.throttledCount == 2)
            #expect(pacing.limit <= grown / 2)
            #expect(!pacing.isHolding, "the hold ended with the Retry-After")
        }
    }
}

/// Who got through, in order.
final class Arrivals: Sendable {
    private let list = Locked<[String]>([])
    func add(_ name: String) { list.withLock { $0.append(name) } }
    var names: [String] { list.withLock { $0 } }
}
