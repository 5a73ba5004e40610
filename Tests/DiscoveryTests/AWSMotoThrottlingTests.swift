import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// Throttling and 5xx injected by a loopback proxy in front of moto.
@Suite("AWS discovery against moto: throttling", .timeLimit(.minutes(10)))
struct AWSMotoThrottlingTests {
    struct ProxyStats: Decodable {
        var failed: Int
        var forwarded: Int
    }

    static func stats(_ proxy: LoopbackServer) async throws -> ProxyStats {
        let result = try await MotoServer.run(
            [
                "python3", "-c",
                "import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('\(proxy.endpoint)/__proxy__/stats').read().decode())",
            ], timeout: .seconds(30))
        return try JSONDecoder().decode(ProxyStats.self, from: result.stdout)
    }

    static let quickRetries = AWSRetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(5), maxDelay: .milliseconds(100))

    @Test func throttledAndFailingCallsAreRetried() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        // Seven failures: more than any single call may take (8 attempts), every failure kind at least once.
        let proxy = try await LoopbackServer.start(script: "throttle_proxy.py", arguments: [moto.endpoint, "--fail-first", "7"])
        defer { proxy.stop() }

        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: ["us-east-1"], endpointURL: proxy.endpoint),
            credentials: StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing"),
            options: .init(maxConcurrency: 3, retry: Self.quickRetries))
        let outcome = try await discoverAll(provider)

        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        expectDiscovered(estate.resources, account: estate.account, in: outcome)
        let stats = try await Self.stats(proxy)
        #expect(stats.failed == 7)
        #expect(stats.forwarded > 0)
    }

    /// A service that stays throttled fails alone, with a message saying so; the others' resources arrive.
    @Test func aServiceThatStaysThrottledFailsAlone() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        let proxy = try await LoopbackServer.start(script: "throttle_proxy.py", arguments: [moto.endpoint, "--fail-service", "rds"])
        defer { proxy.stop() }

        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: ["us-east-1"], endpointURL: proxy.endpoint),
            credentials: StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing"),
            options: .init(retry: AWSRetryPolicy(maxAttempts: 3, baseDelay: .milliseconds(5))))
        let outcome = try await discoverAll(provider)

        #expect(outcome.failures.count == 1)
        let failure = try #require(outcome.failures.first)
        #expect(failure.scope == "rds:db in us-east-1")
        #expect(failure.message.hasPrefix("throttled by rds in us-east-1 on rds:DescribeDBInstances after 3 attempts: Throttling"))
        expectDiscovered(estate.resources.filter { $0.type != "rds:db" }, account: estate.account, in: outcome)
        #expect(!outcome.resources.contains { $0.type == "rds:db" })
        #expect(try await Self.stats(proxy).failed == 3)
    }
}
