import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// Discovery against a real moto server seeded (by boto3, not by us) with an estate in two
/// regions: EC2 instances and volumes, RDS, S3, ELBv2 and Lambda.
@Suite("AWS discovery against moto: a two-region estate", .timeLimit(.minutes(10)))
struct AWSMotoEstateTests {
    static let regions = ["us-east-1", "eu-west-1"]

    @Test func findsEverySeededResourceWithItsTagsAndRelations() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(
            SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", Self.regions.joined(separator: ",")])
        #expect(estate.resources.count >= 22)

        let credentials = StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing")
        let everything = AWSProvider(
            settings: AWSDiscoverySettings(regions: Self.regions, endpointURL: moto.endpoint), credentials: credentials)
        let outcome = try await discoverAll(everything)

        #expect(outcome.failures.isEmpty, "\(outcome.failures)")
        expectDiscovered(estate.resources, account: estate.account, in: outcome)
        // Each resource once: S3's global listing is not repeated per region.
        #expect(Set(outcome.resources.map(\.id)).count == outcome.resources.count)
        // Every directly listed type, and what only the Tagging API finds (the seeded state machine).
        let direct = Set(AWSDiscoverySettings.allServices).subtracting(["tagging:resource"])
        #expect(Set(outcome.resources.map(\.type)).isSuperset(of: direct.union(["states:statemachine"])))
        // A type listed directly is not listed again through the Tagging API.
        #expect(outcome.resources.filter { $0.type == "ecs:cluster" }.count == 2 * Self.regions.count)

        // Provider facts come along.
        let byID = outcome.byID
        let web = try #require(estate.resources.first { $0.type == "ec2:instance" && $0.name.hasSuffix("web-1") })
        #expect(byID[web.id]?.attributes?["instanceType"] == "t3.micro")
        #expect(byID[web.id]?.attributes?["state"] == "running")
        let db = try #require(estate.resources.first { $0.type == "rds:db" })
        #expect(byID[db.id]?.attributes?["engine"] == "postgres")
        let fn = try #require(estate.resources.first { $0.type == "lambda:function" })
        #expect(byID[fn.id]?.attributes?["runtime"] == "python3.12")
        // Untagged instances are named by their id; untagged buckets have no tags, not unknown tags.
        let bare = try #require(estate.resources.first { $0.type == "ec2:instance" && $0.tags.isEmpty })
        #expect(byID[bare.id]?.name == String(bare.id.split(separator: "/").last!))
        let plainBucket = try #require(estate.resources.first { $0.type == "s3:bucket" && $0.tags.isEmpty })
        #expect(byID[plainBucket.id]?.nativeTags == [:])

        // Services and regions narrow the listing; an unknown service is reported, the rest still runs.
        let narrow = AWSProvider(
            settings: AWSDiscoverySettings(
                regions: ["eu-west-1"], services: ["s3", "rds:db", "ec2:nonsense"], endpointURL: moto.endpoint),
            credentials: credentials)
        let some = try await discoverAll(narrow)
        let wanted = estate.resources.filter { $0.region == "eu-west-1" && ($0.type == "s3:bucket" || $0.type == "rds:db") }
        expectDiscovered(wanted, account: estate.account, in: some)
        #expect(Set(some.resources.map(\.id)) == Set(wanted.map(\.id)))
        #expect(some.failures.count == 1)
        #expect(some.failures.first?.message.contains("unknown AWS service \"ec2:nonsense\"") == true)
    }

    @Test func badSettingsFailTheRunWithAnActionableError() async throws {
        let credentials = StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing")
        for (settings, expected) in [
            (AWSDiscoverySettings(regions: []), "no regions to discover"),
            (AWSDiscoverySettings(regions: ["us-east-1", "Frankfurt"]), "\"Frankfurt\" is not an AWS region name"),
            (AWSDiscoverySettings(regions: ["us-east-1"], endpointURL: "localhost:5000"), "endpointURL \"localhost:5000\" is not an http(s) URL"),
        ] {
            await #expect {
                _ = try await discoverAll(AWSProvider(settings: settings, credentials: credentials), timeout: .seconds(30))
            } throws: { error in
                "\(error)".contains(expected)
            }
        }
    }

    /// Nothing listens on the endpoint: the run fails at STS, saying which endpoint it could not reach.
    @Test func unreachableEndpointSaysWhere() async throws {
        let port = try Loopback.freePort()
        let provider = AWSProvider(
            settings: AWSDiscoverySettings(regions: ["us-east-1"], endpointURL: "http://127.0.0.1:\(port)"),
            credentials: StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing"),
            options: .init(retry: AWSRetryPolicy(maxAttempts: 2, baseDelay: .milliseconds(1))))
        await #expect {
            _ = try await discoverAll(provider, timeout: .seconds(60))
        } throws: { error in
            "\(error)".hasPrefix("cannot reach http://127.0.0.1:\(port) for sts:GetCallerIdentity in us-east-1 after 2 attempts")
        }
    }
}
