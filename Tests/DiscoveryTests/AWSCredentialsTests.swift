import KubeCore
import Foundation
import Synchronization
import Testing

@testable import Discovery

@Suite("AWS credentials: static, environment, refreshing cache")
struct AWSCredentialsTests {
    /// A fetch that hands out numbered temporary credentials, each valid for `lifetime` seconds
    /// from the (settable) clock.
    final class Issuer: Sendable {
        let issued = Atomic<Int>(0)
        let clock = Locked<Date>(Date(timeIntervalSince1970: 1_000_000))
        let failing = Atomic<Bool>(false)
        let lifetime: TimeInterval

        init(lifetime: TimeInterval) { self.lifetime = lifetime }

        var now: Date { clock.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { clock.withLock { $0 += seconds } }

        func fetch() async throws -> AWSCredentials {
            if failing.load(ordering: .relaxed) { throw DiscoveryError.noCredentials("sts is down") }
            // Give concurrent callers time to pile up on the same fetch.
            try await Task.sleep(for: .milliseconds(20))
            let n = issued.add(1, ordering: .relaxed).newValue
            return AWSCredentials(accessKeyID: "ASIA\(n)", secretAccessKey: "s\(n)", sessionToken: "t\(n)", expiration: now + lifetime)
        }
    }

    @Test func environmentNeedsTheKeyPair() throws {
        #expect(StaticCredentialsProvider.environment([:]) == nil)
        #expect(StaticCredentialsProvider.environment(["AWS_ACCESS_KEY_ID": "AKID"]) == nil)
        let p = try #require(
            StaticCredentialsProvider.environment([
                "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
            ]))
        #expect(p.value == AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token"))
        #expect(StaticCredentialsProvider.environment(["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S", "AWS_SESSION_TOKEN": ""])?.value.sessionToken == nil)
    }

    @Test func defaultChainExplainsWhatIsMissing() {
        #expect {
            _ = try AWSDefaultCredentials.provider(environment: [:])
        } throws: { error in
            "\(error)".contains("credentialsSecretRef") && "\(error)".contains("AWS_WEB_IDENTITY_TOKEN_FILE")
        }
    }

    @Test func descriptionNeverShowsTheSecret() {
        let c = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "very-secret", sessionToken: "tok")
        #expect(!"\(c)".contains("very-secret"))
        #expect(!"\(c)".contains("tok"))
    }

    @Test func cachedUntilTheRefreshMargin() async throws {
        let issuer = Issuer(lifetime: 3600)
        let provider = RefreshingCredentialsProvider(refreshMargin: 300, now: { issuer.now }) { try await issuer.fetch() }
        let first = try await provider.credentials()
        issuer.advance(3000)  // 600 s left: still fine
        #expect(try await provider.credentials() == first)
        issuer.advance(400)  // 200 s left: inside the margin, refresh
        let second = try await provider.credentials()
        #expect(second.accessKeyID != first.accessKeyID)
        #expect(await provider.fetchCount == 2)
    }

    @Test func concurrentCallersShareOneFetch() async throws {
        let issuer = Issuer(lifetime: 3600)
        let provider = RefreshingCredentialsProvider(now: { issuer.now }) { try await issuer.fetch() }
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<20 { group.addTask { try await provider.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys.count == 1)
        #expect(issuer.issued.load(ordering: .relaxed) == 1)
    }

    @Test func failedRefreshKeepsStillValidCredentials() async throws {
        let issuer = Issuer(lifetime: 3600)
        let provider = RefreshingCredentialsProvider(refreshMargin: 300, now: { issuer.now }) { try await issuer.fetch() }
        let first = try await provider.credentials()
        issuer.advance(3400)  // inside the margin, not expired
        issuer.failing.store(true, ordering: .relaxed)
        #expect(try await provider.credentials() == first)
        issuer.advance(300)  // now expired: the failure must surface
        await #expect(throws: DiscoveryError.self) { try await provider.credentials() }
    }
}
