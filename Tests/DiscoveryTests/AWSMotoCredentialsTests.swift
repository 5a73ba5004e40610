import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// Web identity (IRSA) against moto's STS: the token file is exchanged for temporary credentials,
/// which are cached until the refresh margin.
@Suite("AWS credentials against moto: web identity", .timeLimit(.minutes(5)))
struct AWSMotoCredentialsTests {
    @Test func webIdentityExchangesTheTokenAndCachesTheCredentials() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-irsa-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tokenFile = dir.appendingPathComponent("token").path
        try "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let connection = STSConnection(region: "eu-west-1", endpointURL: moto.endpoint)
        let role = "arn:aws:iam::123456789012:role/vtag-operator"

        // As EKS sets the environment.
        let chain = try AWSDefaultCredentials.provider(
            environment: ["AWS_ROLE_ARN": role, "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile], connection: connection)
        let web = try #require(chain as? WebIdentityCredentialsProvider)
        let first = try await web.credentials()
        #expect(first.accessKeyID.hasPrefix("ASIA"))
        #expect(first.sessionToken?.isEmpty == false)
        #expect((first.expiration ?? .distantPast) > Date())
        // moto issues a new key per call, so the same key proves the cache answered.
        #expect(try await web.credentials() == first)
        #expect(await web.fetchCount == 1)

        // Discovery on them: STS says who we are.
        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: ["eu-west-1"], endpointURL: moto.endpoint), credentials: web)
        let identity = try await provider.callerIdentity()
        #expect(identity.account == "123456789012")

        // Credentials whose lifetime is inside the refresh margin are fetched anew each time.
        let eager = try WebIdentityCredentialsProvider(
            roleARN: role, tokenFile: tokenFile, connection: connection, durationSeconds: 900, refreshMargin: 1000)
        let a = try await eager.credentials()
        let b = try await eager.credentials()
        #expect(a.accessKeyID != b.accessKeyID)
        #expect(await eager.fetchCount == 2)

        // A missing token file is named in the error.
        let missing = try WebIdentityCredentialsProvider(roleARN: role, tokenFile: dir.appendingPathComponent("nope").path, connection: connection)
        await #expect {
            _ = try await missing.credentials()
        } throws: { error in
            "\(error)".contains("cannot read the web identity token file \(dir.path)/nope")
        }
    }
}
