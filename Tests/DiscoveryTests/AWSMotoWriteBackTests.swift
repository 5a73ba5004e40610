import Discovery
import Foundation
import KubeCore
import TaggingAPI
import Testing
import VTagTestSupport

/// Write-back of virtual tags through the Resource Groups Tagging API (TagResources) against moto:
/// the tags land on instances, volumes, databases, buckets, load balancers and functions, native
/// values stay, a second plan writes nothing, and refusals and throttling are handled.
@Suite("AWS write-back against moto", .timeLimit(.minutes(10)))
struct AWSMotoWriteBackTests {
    static let credentials = StaticCredentialsProvider(accessKeyID: "testing", secretAccessKey: "testing")
    /// The types write-back is checked on. moto 5.2 answers TagResources for ECS, DynamoDB, SQS, SNS, EKS and
    /// ElastiCache with an InternalError (AWS itself takes them), so the estate is discovered without them.
    static let services = ["ec2:instance", "ec2:volume", "rds:db", "s3:bucket", "elbv2:loadbalancer", "lambda:function"]
    static let quick = AWSTagWriter.Options(retry: AWSRetryPolicy(maxAttempts: 8, baseDelay: .milliseconds(5), maxDelay: .milliseconds(100)))

    /// CloudResources as the tagger leaves them: `owner` from a rule everywhere, `team` from a rule where
    /// the resource has none natively (else the native value), `env` = dev from a rule everywhere.
    static func tagged(_ specs: [CloudResourceSpec]) -> [CloudResource] {
        specs.map { spec in
            var tags = [VirtualTag(key: "owner", value: "platform-team", source: .rule, confidence: 1, rule: "owners", reason: "rule owners")]
            if let team = spec.nativeTags?["team"] {
                tags.append(VirtualTag(key: "team", value: team, source: .native, confidence: 0.98, reason: "native"))
            } else {
                tags.append(VirtualTag(key: "team", value: "web", source: .rule, confidence: 1, rule: "teams", reason: "rule teams"))
            }
            tags.append(VirtualTag(key: "env", value: "dev", source: .rule, confidence: 1, rule: "envs", reason: "rule envs"))
            tags.append(VirtualTag(key: "aws:createdBy", value: "vtag", source: .rule, confidence: 1, rule: "bad", reason: "rule bad"))
            return CloudResource(
                metadata: ObjectMeta(name: ResourceNaming.name(provider: spec.provider, id: spec.id)), spec: spec,
                status: CloudResourceStatus(phase: .active, virtualTags: tags))
        }
    }

    @Test func fillMissingPutsTheAppliedTagsOnTheResourcesAndLeavesNativeValues() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        let settings = AWSDiscoverySettings(regions: ["us-east-1"], services: Self.services, endpointURL: moto.endpoint)
        let before = try await discoverAll(AWSProvider(settings: settings, credentials: Self.credentials))
        #expect(before.failures.isEmpty, "\(before.failures)")

        let writeBack = AWSWriteBackSettings(keys: ["owner", "team", "env", "aws:createdBy"])
        let plan = WriteBackPlan.make(Self.tagged(before.resources), settings: writeBack, defaultRegion: "us-east-1")
        // Every discovered resource (moto adds a root volume to each instance) gets owner at least.
        #expect(plan.writes.count == before.resources.count)
        #expect(plan.skipped.filter { $0.key == "aws:createdBy" }.count == before.resources.count)
        #expect(!plan.writes.contains { $0.tags.keys.contains { $0.hasPrefix("aws:") } })

        let outcome = try await AWSTagWriter(settings: settings, credentials: Self.credentials, options: Self.quick).write(plan.writes)
        #expect(outcome.failed.isEmpty, "\(outcome.failed)")
        #expect(outcome.written.count == plan.writes.count)
        #expect(outcome.calls == AWSTagWriter.calls(for: plan.writes).count)

        // The next discovery reads them back as native tags; native values are untouched.
        let after = try await discoverAll(AWSProvider(settings: settings, credentials: Self.credentials))
        #expect(after.failures.isEmpty, "\(after.failures)")
        let found = after.byID
        for seeded in estate.resources where Self.services.contains(seeded.type) {
            let native = try #require(found[seeded.id]?.nativeTags, "\(seeded.type) \(seeded.id)")
            var expected = seeded.tags
            expected["owner"] = "platform-team"
            if expected["team"] == nil { expected["team"] = "web" }
            if expected["env"] == nil { expected["env"] = "dev" }
            #expect(native == expected, "\(seeded.type) \(seeded.id)")
        }
        #expect(Set(estate.resources.map(\.type)).isSuperset(of: ["ec2:instance", "ec2:volume", "rds:db"]))

        // Nothing flaps: with the tags on the resources, the same virtual tags plan no write at all.
        let again = WriteBackPlan.make(Self.tagged(after.resources), settings: writeBack, defaultRegion: "us-east-1")
        #expect(again.writes.isEmpty, "\(again.writes)")
    }

    @Test func overwriteReplacesNativeValuesThatDiffer() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        let settings = AWSDiscoverySettings(regions: ["us-east-1"], services: ["rds:db", "ec2:instance"], endpointURL: moto.endpoint)
        let before = try await discoverAll(AWSProvider(settings: settings, credentials: Self.credentials))
        let plan = WriteBackPlan.make(Self.tagged(before.resources), settings: AWSWriteBackSettings(keys: ["env"], mode: .overwrite), defaultRegion: "us-east-1")
        #expect(plan.writes.count == before.resources.count)
        let outcome = try await AWSTagWriter(settings: settings, credentials: Self.credentials, options: Self.quick).write(plan.writes)
        #expect(outcome.failed.isEmpty, "\(outcome.failed)")
        let after = try await discoverAll(AWSProvider(settings: settings, credentials: Self.credentials))
        let db = try #require(estate.resources.first { $0.type == "rds:db" })
        #expect(db.tags["env"] == "prod")
        #expect(after.byID[db.id]?.nativeTags?["env"] == "dev")
        #expect(after.byID[db.id]?.nativeTags?["team"] == db.tags["team"])
    }

    @Test func refusedResourcesAreRetriedWhenTransientAndReportedOneByOne() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        let settings = AWSDiscoverySettings(regions: ["us-east-1"], services: Self.services, endpointURL: moto.endpoint)
        let instance = try #require(estate.resources.first { $0.type == "ec2:instance" })
        let gone = "arn:aws:ec2:us-east-1:\(estate.account):instance/i-0000000000000dead"
        // moto answers "Service not yet supported" (InternalServiceException) for SQS: a transient code.
        let unsupported = "arn:aws:sqs:us-east-1:\(estate.account):queue-1"
        let writes = [instance.id, gone, unsupported].map { TagWrite(arn: $0, region: "us-east-1", tags: ["owner": "platform-team"]) }
        let outcome = try await AWSTagWriter(settings: settings, credentials: Self.credentials, options: Self.quick).write(writes)

        #expect(outcome.written.map(\.arn) == [instance.id])
        let failures = Dictionary(uniqueKeysWithValues: outcome.failed.map { ($0.arn, $0) })
        #expect(failures[gone]?.code == "InvalidParameterException")
        #expect(failures[gone]?.attempts == 1)
        #expect(failures[unsupported]?.code == "InternalServiceException")
        #expect(failures[unsupported]?.attempts == Self.quick.failedResourceAttempts)
        #expect(failures[unsupported]?.description.contains("after 3 attempts") == true)
        #expect(outcome.calls == 1 + (Self.quick.failedResourceAttempts - 1))
    }

    @Test func throttledCallsAreRetriedThroughTheProxy() async throws {
        let moto = try await LoopbackServer.moto()
        defer { moto.stop() }
        let estate = try await MotoSupport.seed(SeededEstate.self, ["estate", "--endpoint", moto.endpoint, "--regions", "us-east-1"])
        let proxy = try await LoopbackServer.start(script: "throttle_proxy.py", arguments: [moto.endpoint, "--fail-first", "7"])
        defer { proxy.stop() }
        let settings = AWSDiscoverySettings(regions: ["us-east-1"], services: Self.services, endpointURL: proxy.endpoint)
        let writes = estate.resources.filter { Self.services.contains($0.type) }.map { TagWrite(arn: $0.id, region: $0.region, tags: ["owner": "platform-team"]) }
        let outcome = try await AWSTagWriter(settings: settings, credentials: Self.credentials, options: Self.quick).write(writes)
        #expect(outcome.failed.isEmpty, "\(outcome.failed)")
        #expect(outcome.written.count == writes.count)
        #expect(try await AWSMotoThrottlingTests.stats(proxy).failed == 7)

        let found = try await discoverAll(AWSProvider(settings: AWSDiscoverySettings(regions: ["us-east-1"], services: Self.services, endpointURL: moto.endpoint), credentials: Self.credentials)).byID
        for r in estate.resources where Self.services.contains(r.type) { #expect(found[r.id]?.nativeTags?["owner"] == "platform-team", "\(r.id)") }
    }
}

@Suite struct WriteBackPlanTests {
    static func resource(_ id: String, native: [String: String], virtual: [(String, String, TagSource)], region: String? = "eu-west-1") -> CloudResource {
        CloudResource(
            metadata: ObjectMeta(name: "r"), spec: CloudResourceSpec(provider: "aws", id: id, type: "ec2:instance", region: region, nativeTags: native),
            status: CloudResourceStatus(virtualTags: virtual.map { VirtualTag(key: $0.0, value: $0.1, source: $0.2, confidence: 1, reason: "") }))
    }

    @Test func fillMissingNeverTouchesANativeKeyInAnyCase() {
        let r = Self.resource("arn:aws:ec2:eu-west-1:1:instance/i-1", native: ["Team": "Web"], virtual: [("team", "payments", .rule), ("env", "prod", .model)])
        let plan = WriteBackPlan.make([r], settings: AWSWriteBackSettings(keys: ["team", "env"]), defaultRegion: "us-east-1")
        #expect(plan.writes == [TagWrite(arn: r.spec.id, region: "eu-west-1", tags: ["env": "prod"])])
        let over = WriteBackPlan.make([r], settings: AWSWriteBackSettings(keys: ["team", "env"], mode: .overwrite), defaultRegion: "us-east-1")
        #expect(over.writes.first?.tags == ["team": "payments", "env": "prod"])
    }

    @Test func onlyListedNonNativeKeysOfActiveAWSResourcesAreWritten() {
        let listed = Self.resource("arn:aws:s3:::bucket", native: [:], virtual: [("team", "a", .native), ("owner", "b", .approval), ("cost-center", "c", .manual)], region: nil)
        var vanished = Self.resource("arn:aws:ec2:eu-west-1:1:instance/i-2", native: [:], virtual: [("owner", "b", .rule)])
        vanished.status?.phase = .vanished
        var gcp = Self.resource("//compute.googleapis.com/x", native: [:], virtual: [("owner", "b", .rule)])
        gcp.spec.provider = "gcp"
        let plan = WriteBackPlan.make([listed, vanished, gcp], settings: AWSWriteBackSettings(keys: ["team", "owner"]), defaultRegion: "us-east-1")
        // S3's ARN names no region: the default one.
        #expect(plan.writes == [TagWrite(arn: "arn:aws:s3:::bucket", region: "us-east-1", tags: ["owner": "b"])])
    }

    /// The cache hands resources over in no order: the plan is the same whatever order they come in.
    @Test func thePlanIsInARNOrderWhateverOrderTheResourcesComeIn() {
        let resources = (0..<6).map { i in
            Self.resource("arn:aws:ec2:eu-west-1:1:instance/i-\(i)", native: [:], virtual: [("owner", "o\(i)", .rule), ("aws:x", "y", .rule)])
        }
        let settings = AWSWriteBackSettings(keys: ["owner", "aws:x"])
        let sorted = WriteBackPlan.make(resources, settings: settings, defaultRegion: "us-east-1")
        let shuffled = WriteBackPlan.make([3, 0, 5, 1, 4, 2].lazy.map { resources[$0] }, settings: settings, defaultRegion: "us-east-1")
        #expect(sorted.writes.map(\.arn) == resources.map(\.spec.id))
        #expect(shuffled.writes == sorted.writes)
        #expect(shuffled.skipped == sorted.skipped)
        #expect(sorted.skipped.map(\.arn) == resources.map(\.spec.id))
    }

    @Test func aResourceThatWouldPassAWSsFiftyTagLimitIsSkippedAndSaidSo() {
        let native = Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", "v") })
        let r = Self.resource("arn:aws:ec2:eu-west-1:1:instance/i-3", native: native, virtual: [("owner", "b", .rule)])
        let plan = WriteBackPlan.make([r], settings: AWSWriteBackSettings(keys: ["owner"]), defaultRegion: "us-east-1")
        #expect(plan.writes.isEmpty)
        #expect(plan.skipped.first?.reason.contains("more than 50 tags") == true)
    }

    @Test func callsCarryAtMostTwentyResourcesWithTheSameTagsInOneRegion() {
        var writes = (0..<45).map { TagWrite(arn: "arn:aws:ec2:eu-west-1:1:instance/i-\($0)", region: "eu-west-1", tags: ["owner": "a"]) }
        writes.append(TagWrite(arn: "arn:aws:ec2:eu-west-1:1:instance/i-x", region: "eu-west-1", tags: ["owner": "b"]))
        writes.append(TagWrite(arn: "arn:aws:ec2:us-east-1:1:instance/i-y", region: "us-east-1", tags: ["owner": "a"]))
        let calls = AWSTagWriter.calls(for: writes)
        #expect(calls.map(\.arns.count) == [20, 20, 5, 1, 1])
        #expect(calls.allSatisfy { c in writes.filter { c.arns.contains($0.arn) }.allSatisfy { $0.tags == c.tags && $0.region == c.region } })
        #expect(Set(calls.flatMap(\.arns)).count == writes.count)
        #expect(calls[0].description.hasPrefix("TagResources eu-west-1 {owner=a} arn:aws:ec2:eu-west-1:1:instance/i-0 "))
    }
}
