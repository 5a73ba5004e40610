import Discovery
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport

@testable import Reconcilers

/// A DiscoveryJob with write-back, against moto and the API test server: the applied virtual tags land on
/// the instances, volumes and databases, native values stay, the CloudResources record what was written,
/// and the next run finds them native and writes nothing.
@Suite(.serialized, .timeLimit(.minutes(10))) struct WriteBackJobTests {
    struct Seeded: Decodable {
        struct Resource: Decodable {
            var type: String
            var id: String
            var tags: [String: String]
        }
        var resources: [Resource]
    }

    /// moto on loopback with `seed_moto.py estate` in us-east-1; returns the server (stop it) and what was seeded.
    static func seededMoto() async throws -> (LoopbackServer, Seeded) {
        let moto = try await LoopbackServer.moto()
        let seeding = try await MotoServer.run(
            ["python3", MotoServer.fixtures.appendingPathComponent("seed_moto.py").path, "estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"],
            timeout: .seconds(600))
        guard seeding.status == 0 else {
            moto.stop()
            throw ProcessFailed(description: "seed_moto.py estate failed: \(seeding.errorText)")
        }
        return (moto, try JSONDecoder().decode(Seeded.self, from: seeding.stdout))
    }

    /// The Secret "aws" holding moto's test credentials.
    static func createCredentials(_ client: KubeClient) async throws {
        _ = try await Api<Secret>(client: client, namespace: "default").create(Secret(
            metadata: ObjectMeta(name: "aws", namespace: "default"),
            stringData: [AWSCredentialsSecretRef.defaultAccessKeyIDKey: "testing", AWSCredentialsSecretRef.defaultSecretAccessKeyKey: "testing"]))
    }

    static func request(_ jobs: Api<DiscoveryJob>, _ name: String, _ value: String) async throws {
        _ = try await jobs.patch(name, .merge(.object(["metadata": .object(["annotations": .object([VTag.runRequestedAnnotation: .string(value)])])])))
    }

    @Test func aJobWritesTheAppliedTagsOnceAndLeavesNativeValues() async throws {
        let (moto, estate) = try await Self.seededMoto()
        defer { moto.stop() }
        let seeded = estate.resources.filter { ["ec2:instance", "ec2:volume", "rds:db"].contains($0.type) }

        try await DiscoveryJobReconcilerTests().withOperator(providers: DefaultProviders.factory) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            let res = Api<CloudResource>(client: client, namespace: "default")
            try await Self.createCredentials(client)
            _ = try await jobs.create(DiscoveryJob(
                metadata: ObjectMeta(name: "aws", namespace: "default"),
                spec: DiscoveryJobSpec(provider: .aws, aws: AWSDiscoverySettings(
                    regions: ["us-east-1"], services: ["ec2:instance", "ec2:volume", "rds:db"],
                    credentialsSecretRef: AWSCredentialsSecretRef(name: "aws"), endpointURL: moto.endpoint,
                    writeBack: AWSWriteBackSettings(keys: ["owner", "team"])))))
            try await eventually("the first run") { try await jobs.get("aws").status?.lastRun != nil }
            let first = try #require(try await jobs.get("aws").status?.lastRun)
            #expect(first.errors == 0, "\(first.errorMessages ?? [])")
            #expect(first.writeBack == WriteBackRun(dryRun: false), "nothing tagged yet, nothing to write")

            // The tagger's outcome: owner from a rule everywhere; team native where the resource has one, else a rule's.
            // (moto gives each instance a root volume too: every discovered resource counts.)
            let discovered = try await res.listAll().items
            #expect(discovered.count >= seeded.count)
            let withoutTeam = discovered.filter { $0.spec.nativeTags?["team"] == nil }.count
            for var r in discovered {
                var tags = [VirtualTag(key: "owner", value: "platform", source: .rule, confidence: 1, rule: "owners", reason: "rule")]
                if let team = r.spec.nativeTags?["team"] {
                    tags.append(VirtualTag(key: "team", value: team, source: .native, confidence: 0.98, reason: "native"))
                } else {
                    tags.append(VirtualTag(key: "team", value: "web", source: .rule, confidence: 1, rule: "teams", reason: "rule"))
                }
                r.status = CloudResourceStatus(phase: .active, virtualTags: tags)
                _ = try await res.replaceStatus(r)
            }
            try await Self.request(jobs, "aws", "second")
            try await eventually("the second run") { try await jobs.get("aws").status?.history?.count == 2 }
            let second = try #require(try await jobs.get("aws").status?.lastRun)
            #expect(second.errors == 0, "\(second.errorMessages ?? [])")
            #expect(second.writeBack?.resources == discovered.count)
            #expect(second.writeBack?.failed == 0)
            #expect(second.writeBack?.tags == discovered.count + withoutTeam)
            for r in try await res.listAll().items {
                #expect(r.status?.writtenBack?.map(\.key).contains("owner") == true, "\(r.spec.id)")
                #expect(r.status?.writtenBack?.allSatisfy { $0.job == "aws" } == true)
                #expect(r.status?.history?.contains { $0.action == .writtenBack && $0.key == "owner" && $0.actor == "writeback/aws" } == true)
            }

            try await Self.request(jobs, "aws", "third")
            try await eventually("the third run") { try await jobs.get("aws").status?.history?.count == 3 }
            let third = try #require(try await jobs.get("aws").status?.lastRun)
            #expect(third.errors == 0, "\(third.errorMessages ?? [])")
            #expect(third.writeBack == WriteBackRun(dryRun: false), "the written tags are native now: nothing to write")
            let byID = Dictionary(uniqueKeysWithValues: try await res.listAll().items.map { ($0.spec.id, $0.spec.nativeTags ?? [:]) })
            for s in seeded {
                var expected = s.tags
                expected["owner"] = "platform"
                if expected["team"] == nil { expected["team"] = "web" }
                #expect(byID[s.id] == expected, "\(s.type) \(s.id)")
            }
        }
    }

    @Test func aDryRunShowsTheCallsAndWritesNothing() async throws {
        let (moto, _) = try await Self.seededMoto()
        defer { moto.stop() }
        try await DiscoveryJobReconcilerTests().withOperator(providers: DefaultProviders.factory) { client, _, _ in
            let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
            let res = Api<CloudResource>(client: client, namespace: "default")
            try await Self.createCredentials(client)
            _ = try await jobs.create(DiscoveryJob(
                metadata: ObjectMeta(name: "dry", namespace: "default"),
                spec: DiscoveryJobSpec(provider: .aws, aws: AWSDiscoverySettings(
                    regions: ["us-east-1"], services: ["rds:db"], credentialsSecretRef: AWSCredentialsSecretRef(name: "aws"),
                    endpointURL: moto.endpoint, writeBack: AWSWriteBackSettings(keys: ["owner"], dryRun: true)))))
            try await eventually("the first run") { try await jobs.get("dry").status?.lastRun != nil }
            let db = try #require(try await res.listAll().items.first)
            var tagged = db
            tagged.status = CloudResourceStatus(virtualTags: [VirtualTag(key: "owner", value: "platform", source: .rule, confidence: 1, reason: "rule")])
            _ = try await res.replaceStatus(tagged)
            try await Self.request(jobs, "dry", "second")
            try await eventually("the second run") { try await jobs.get("dry").status?.history?.count == 2 }
            let run = try #require(try await jobs.get("dry").status?.lastRun?.writeBack)
            #expect(run.dryRun && run.calls == 1 && run.resources == 1)
            #expect(run.plannedCalls == ["TagResources us-east-1 {owner=platform} \(db.spec.id)"])
            try await Self.request(jobs, "dry", "third")
            try await eventually("the third run") { try await jobs.get("dry").status?.history?.count == 3 }
            #expect(try await res.get(db.name).spec.nativeTags?["owner"] == nil, "a dry run writes nothing")
        }
    }
}
