import Foundation
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

@Suite struct ResourceSyncTests {
    let job = DiscoveryJob(
        metadata: ObjectMeta(name: "prod-aws", namespace: "finops", uid: "job-uid-1"),
        spec: DiscoveryJobSpec(provider: .aws, aws: .init(regions: ["eu-west-1"])))

    let found = CloudResourceSpec(
        provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc", type: "ec2:instance", name: "web-1",
        account: "123456789012", region: "eu-west-1", nativeTags: ["Name": "web-1", "env": "prod"])

    /// What the API server would hold after creating `object`.
    func stored(_ object: CloudResource, manualTags: [String: String]? = nil) -> CloudResource {
        var o = object
        o.metadata.resourceVersion = "42"
        o.metadata.uid = "res-uid"
        o.spec.manualTags = manualTags
        return o
    }

    @Test func createsWithDeterministicNameLabelsAndOwner() throws {
        guard case .create(let obj) = try ResourceSync.action(for: found, existing: nil, job: job) else {
            Issue.record("expected create"); return
        }
        #expect(obj.name == ResourceNaming.name(provider: "aws", id: found.id))
        #expect(obj.metadata.namespace == "finops")
        #expect(obj.metadata.labels?[VTag.Label.type] == "ec2.instance")
        #expect(obj.metadata.labels?[VTag.Label.region] == "eu-west-1")
        #expect(obj.metadata.labels?[VTag.Label.job] == "prod-aws")
        #expect(obj.metadata.ownerReferences?.first?.uid == "job-uid-1")
        #expect(obj.metadata.ownerReferences?.first?.controller == true)
    }

    @Test func unchangedResourceNeedsNoWriteEvenWithManualTags() throws {
        let existing = stored(ResourceSync.desired(found, job: job), manualTags: ["team": "payments"])
        #expect(try ResourceSync.action(for: found, existing: existing, job: job) == .unchanged(name: existing.name))
    }

    @Test func changedNativeTagsPatchOnlyWhatChangedAndNeverManualTags() throws {
        let existing = stored(ResourceSync.desired(found, job: job), manualTags: ["team": "payments"])
        var now = found
        now.nativeTags = ["Name": "web-1", "team": "checkout"]  // env removed, team added
        guard case .patch(let name, let patch) = try ResourceSync.action(for: now, existing: existing, job: job) else {
            Issue.record("expected patch"); return
        }
        #expect(name == existing.name)
        #expect(patch[path: "spec", "nativeTags", "env"] == .null)
        #expect(patch[path: "spec", "nativeTags", "team"] == .string("checkout"))
        #expect(patch[path: "spec", "nativeTags", "Name"] == nil)
        #expect(patch[path: "spec", "manualTags"] == nil)
        #expect(patch[path: "spec", "id"] == nil)
        #expect(patch["metadata"] == nil)
    }

    @Test func secondJobJoinsAsNonControllingOwner() throws {
        let existing = stored(ResourceSync.desired(found, job: job))
        var other = job
        other.metadata.name = "all-aws"
        other.metadata.uid = "job-uid-2"
        guard case .patch(_, let patch) = try ResourceSync.action(for: found, existing: existing, job: other) else {
            Issue.record("expected patch"); return
        }
        let refs = try #require(try patch[path: "metadata", "ownerReferences"]?.decode([OwnerReference].self))
        #expect(refs.map(\.uid) == ["job-uid-1", "job-uid-2"])
        #expect(refs[1].controller == nil)
        #expect(patch[path: "metadata", "resourceVersion"] == .string("42"))
        #expect(patch[path: "metadata", "labels", VTag.Label.job] == .string("all-aws"))
    }

    @Test func vanishingMarksReactivatesAndPrunesAfterTTL() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        func obj(_ name: String, _ phase: ResourcePhase?, vanishedAt: Date? = nil) -> CloudResource {
            CloudResource(metadata: .init(name: name), spec: found, status: .init(phase: phase, vanishedAt: vanishedAt))
        }
        let owned = [
            obj("seen", .active), obj("gone", .active), obj("back", .vanished, vanishedAt: now - 10),
            obj("old", .vanished, vanishedAt: now - 7200), obj("recent", .vanished, vanishedAt: now - 60), obj("new", nil),
        ]
        let v = ResourceSync.vanishing(owned: owned, seen: ["seen", "back", "new"], now: now, ttl: 3600, prune: true)
        #expect(v.markVanished == ["gone"])
        #expect(v.reactivate == ["back"])
        #expect(v.prune == ["old"])
        #expect(ResourceSync.vanishing(owned: owned, seen: ["seen", "back", "new"], now: now, ttl: 3600, prune: false).prune.isEmpty)
    }
}

@Suite struct MergePatchDiffTests {
    @Test func diffRoundTripsThroughMergeSemantics() throws {
        let old = try JSONValue.parse(Data(#"{"a":1,"b":{"c":2,"d":3},"e":[1,2],"f":"x"}"#.utf8))
        let new = try JSONValue.parse(Data(#"{"a":1,"b":{"c":5},"e":[1],"g":true}"#.utf8))
        let patch = try #require(JSONValue.mergePatch(from: old, to: new))
        #expect(patch == (try JSONValue.parse(Data(#"{"b":{"c":5,"d":null},"e":[1],"f":null,"g":true}"#.utf8))))
        #expect(JSONValue.mergePatch(from: new, to: new) == nil)
    }
}
