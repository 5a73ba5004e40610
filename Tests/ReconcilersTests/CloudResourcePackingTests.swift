import Foundation
import K8sClient
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// The operator's packed CloudResource cache: every field unpacks as it was stored (the tagger writes the
/// whole status back from it), through the store's reads, indexes and events too, and it is smaller.
@Suite struct CloudResourcePackingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// Every field of the resource and its parts set (and a tagCount that disagrees with its list, as a
    /// status from elsewhere may have).
    func everyField(_ name: String = "web-1") -> CloudResource {
        let meta = ObjectMeta(
            name: name, generateName: "web-", namespace: "finops", uid: "uid-\(name)-0123456789", resourceVersion: "4242", generation: 3,
            creationTimestamp: t0, deletionTimestamp: t0.addingTimeInterval(60.5), labels: ["vtag.dev/provider": "aws", "vtag.dev/type": "ec2-instance"],
            annotations: ["note": "kept when the transform keeps it"],
            ownerReferences: [OwnerReference(apiVersion: "vtag.dev/v1alpha1", kind: "DiscoveryJob", name: "estate", uid: "uid-of-the-job",
                                             controller: true, blockOwnerDeletion: false),
                              OwnerReference(apiVersion: "v1", kind: "ConfigMap", name: "x", uid: "u")],
            finalizers: ["vtag.dev/cleanup"])
        var m = meta
        m.deletionGracePeriodSeconds = 30
        let spec = CloudResourceSpec(
            provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/i-\(name)", type: "ec2:instance", name: name,
            account: "123456789012", region: "eu-west-1", nativeTags: ["Team": "payments", "Empty": ""],
            attributes: ["instanceType": "m5.large"], relations: [Relation(type: "InVPC", target: "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0abc")],
            manualTags: ["owner": "ana", "env": ""])
        var status = CloudResourceStatus(
            phase: .vanished, vanishedAt: t0.addingTimeInterval(0.125),
            virtualTags: [
                VirtualTag(key: "team", value: "payments", source: .rule, confidence: 0.935, rule: "team-from-account",
                           reason: "matched rule team-from-account", appliedAt: t0),
                VirtualTag(key: "owner", value: "ana", source: .approval, confidence: 1, approval: "tap-owner-ana", reason: "approved by bo", appliedAt: nil),
            ],
            missingKeys: ["cost-center"],
            rejected: [RejectedTag(key: "env", value: "dev", approval: "tap-1", reason: "wrong", rejectedAt: t0), RejectedTag(key: "app", value: "x")],
            history: [TagHistoryEntry(time: t0, action: .applied, key: "team", new: "payments", actor: "rule/team-from-account"),
                      TagHistoryEntry(time: t0, action: .changed, key: "owner", old: "bo", new: "ana", actor: "approval/tap-owner-ana by bo")],
            writtenBack: [WrittenBackTag(key: "team", value: "payments", writtenAt: t0, job: "estate")],
            conditions: [Condition(type: "Compliant", status: .false, observedGeneration: 3, lastTransitionTime: t0, reason: "MissingKeys",
                                   message: "missing required keys: cost-center")],
            evaluatedAt: t0, modelVersion: "model-generation-7", observedGeneration: 3)
        status.tagCount = 5
        var r = CloudResource(metadata: m, spec: spec, status: status)
        r.apiVersion = "vtag.dev/v1alpha1"
        return r
    }

    @Test func everyFieldUnpacksAsItWasStored() {
        let packing = CloudResourcePacking.make()
        let full = everyField()
        #expect(packing.unpack(packing.pack(full), ObjectKey(full)) == full)
        #expect(packing.unpack(packing.pack(full), ObjectKey(full)).status?.tagCount == 5)
        // And with nothing optional set.
        var bare = CloudResource(metadata: ObjectMeta(name: "bare"), spec: CloudResourceSpec(provider: "gcp", id: "projects/p/x", type: "compute:instance"))
        bare.apiVersion = nil
        bare.kind = nil
        #expect(packing.unpack(packing.pack(bare), ObjectKey(bare)) == bare)
        var emptyStatus = bare
        emptyStatus.status = CloudResourceStatus()
        #expect(packing.unpack(packing.pack(emptyStatus), ObjectKey(emptyStatus)) == emptyStatus)
        // Packed again and again (its recurring strings become numbers), it still unpacks the same.
        for _ in 0..<3 { #expect(packing.unpack(packing.pack(full), ObjectKey(full)) == full) }
    }

    /// `CloudResourcePacking` lists every field by hand: a new field must be packed too.
    @Test func thePackingKnowsEveryField() {
        func fields(_ value: Any) -> Int { Mirror(reflecting: value).children.count }
        let r = everyField()
        let status = r.status!
        #expect(fields(r) == 5)
        #expect(fields(r.metadata) == 13)
        #expect(fields(r.spec) == 10)
        #expect(fields(status) == 12)
        #expect(fields(status.virtualTags![0]) == 8)
        #expect(fields(status.rejected![0]) == 5)
        #expect(fields(status.history![0]) == 6)
        #expect(fields(status.writtenBack![0]) == 4)
        #expect(fields(status.conditions![0]) == 6)
        #expect(fields(r.metadata.ownerReferences![0]) == 6)
        #expect(fields(r.spec.relations![0]) == 2)
    }

    /// A packed resource, the spec's maps included, takes a third of its JSON at most once the recurring strings
    /// are numbered.
    @Test func aPackedResourceIsSmallerThanItsJSON() throws {
        let packing = CloudResourcePacking.make()
        func packed(_ r: CloudResource) throws -> CloudResourcePacking.Packed { try #require(packing.pack(r) as? CloudResourcePacking.Packed) }
        _ = try packed(everyField("web-1"))
        let second = everyField("web-2")
        let bytes = try packed(second).count
        let json = try JSONEncoder().encode(second)
        #expect(bytes * 3 < json.count)
    }

    /// The spec's maps are packed with the rest: they read back equal, whether absent or empty, with empty keys
    /// and values, non-ASCII text, long values and many entries, and the relations in their order.
    @Test func theSpecsMapsUnpackAsTheyWereStored() {
        let packing = CloudResourcePacking.make()
        var many: [String: String] = [:]
        for i in 0..<500 { many["key-\(i)"] = i % 3 == 0 ? "" : "value \(i) " + String(repeating: "x", count: i) }
        let unicode = ["Équipe": "paiements €", "チーム": "決済", "emoji 🚀": "👩‍💻", "": "empty key"]
        let relations = (0..<40).map { Relation(type: $0 % 2 == 0 ? "InVPC" : "AttachedTo", target: "arn:aws:ec2:eu-west-1:1:vpc/vpc-\($0)") }
        let cases: [(nativeTags: [String: String]?, attributes: [String: String]?, relations: [Relation]?, manualTags: [String: String]?)] = [
            (nil, nil, nil, nil),
            ([:], [:], [], [:]),
            (unicode, many, relations, ["owner": ""]),
            (many, unicode, [Relation(type: "", target: "")], nil),
        ]
        for (i, c) in cases.enumerated() {
            var r = everyField("maps-\(i)")
            r.spec.nativeTags = c.nativeTags
            r.spec.attributes = c.attributes
            r.spec.relations = c.relations
            r.spec.manualTags = c.manualTags
            // Twice: the second time its recurring strings are numbers in the shared table.
            for _ in 0..<2 {
                let back = packing.unpack(packing.pack(r), ObjectKey(r))
                #expect(back == r)
                #expect(back.spec.relations == c.relations)
                #expect(back.spec.nativeTags == c.nativeTags && back.spec.manualTags == c.manualTags)
            }
        }
    }

    /// Map values that recur across resources (a team, an instance type) become numbers: a resource whose maps
    /// repeat another's costs far less than their text.
    @Test func recurringMapValuesCostANumber() throws {
        let packing = CloudResourcePacking.make()
        func resource(_ name: String) -> CloudResource {
            var r = everyField(name)
            r.spec.nativeTags = ["CostCenter": "cc-platform-engineering-4711", "Team": "payments-and-billing"]
            r.spec.attributes = ["instanceType": "m5.large", "platform": "linux-with-sql-server-standard"]
            return r
        }
        let text = ["CostCenter", "cc-platform-engineering-4711", "Team", "payments-and-billing", "instanceType", "m5.large",
                    "platform", "linux-with-sql-server-standard"].reduce(0) { $0 + $1.utf8.count }
        _ = packing.pack(resource("web-1"))
        let withMaps = try #require(packing.pack(resource("web-2")) as? CloudResourcePacking.Packed).count
        var bare = resource("web-2")
        bare.spec.nativeTags = nil
        bare.spec.attributes = nil
        let withoutMaps = try #require(packing.pack(bare) as? CloudResourcePacking.Packed).count
        #expect((withMaps - withoutMaps) * 4 < text)
    }

    /// The reasons of an estate's tags repeat their words (account, name words, rule names): packed word by word,
    /// a second resource with such reasons costs far less than its reasons' text, and reads back the same.
    @Test func reasonsAreWrittenWordByWord() throws {
        let packing = CloudResourcePacking.make()
        func resource(_ name: String, account: String) -> CloudResource {
            var r = everyField(name)
            r.status?.virtualTags = ["env", "team", "cost-center"].map { key in
                VirtualTag(key: key, value: "v-\(name)", source: .model, confidence: 0.97,
                           reason: "model v1.3: resources like this (account \(account), name words \"\(name) alb\", region eu-west-1) have \(key)=v-\(name)")
            }
            return r
        }
        let first = resource("web-1", account: "668192242861")
        _ = packing.pack(first)
        let second = resource("web-2", account: "668192242861")
        let reasons = second.status!.virtualTags!.reduce(0) { $0 + $1.reason.utf8.count }
        let withReasons = try #require(packing.pack(second) as? CloudResourcePacking.Packed).count
        var without = second
        let bare = second.status?.virtualTags?.map { var t = $0; t.reason = ""; return t }
        without.status?.virtualTags = bare
        let withoutReasons = try #require(packing.pack(without) as? CloudResourcePacking.Packed).count
        #expect((withReasons - withoutReasons) * 2 < reasons)
        #expect(packing.unpack(packing.pack(second), ObjectKey(second)) == second)
    }

    @Test func theStoreReadsIndexesAndEventsSeeWholeResources() async throws {
        let store = Store<CloudResource>(transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make())
        store.addIndex("team") { [$0.spec.nativeTags?["Team"] ?? ""] }
        let informer = Informer(store: store) { AsyncThrowingStream { _ in } }
        let seen = Locked<[InformerEvent<CloudResource>]>([])
        informer.addHandler { event in seen.withLock { $0.append(event) } }
        await informer.handle(.restarted([everyField("web-1"), everyField("web-2")]))
        // What the transform keeps (no annotations), whole.
        let transform = CloudResourceCacheTransform.beforePacking()
        let expected = transform(everyField("web-1"))
        #expect(expected.metadata.annotations == nil)
        #expect(store.get(name: "web-1", namespace: "finops") == expected)
        #expect(store.byIndex("team", "payments").count == 2)
        #expect(Set(store.list().compactMap(\.metadata.name)) == ["web-1", "web-2"])

        // An update: re-indexed, and its event carries the old and the new resource whole.
        var moved = everyField("web-1")
        moved.metadata.resourceVersion = "4243"
        moved.spec.nativeTags?["Team"] = "search"
        moved.status?.history?.append(TagHistoryEntry(time: t0, action: .changed, key: "team", old: "payments", new: "search", actor: "native"))
        await informer.handle(.applied(moved))
        #expect(store.byIndex("team", "payments").map(\.metadata.name) == ["web-2"])
        #expect(store.byIndex("team", "search").first?.status?.history?.count == 3)
        let update = try #require(seen.withLock { $0.last })
        guard case .updated(let old, let new, _) = update else {
            Issue.record("expected an update, got \(update)")
            return
        }
        #expect(old == expected)
        #expect(new == transform(moved))
        var count = 0
        store.forEach { r in if r.status?.history?.count == 3 { count += 1 } }
        #expect(count == 1)

        await informer.handle(.deleted(moved))
        #expect(store.get(name: "web-1", namespace: "finops") == nil)
        #expect(store.byIndex("team", "search").isEmpty)
    }

    /// Resources in the shapes the gauges tell apart: vanished, no status, an empty status, active and evaluated
    /// (compliant, or missing a key), active and not evaluated yet, with an empty list of missing keys.
    func gaugeShapes() -> [CloudResource] {
        var bare = CloudResource(metadata: ObjectMeta(name: "bare"), spec: CloudResourceSpec(provider: "gcp", id: "projects/p/x", type: "compute:instance"))
        bare.apiVersion = nil
        bare.kind = nil
        var emptyStatus = bare
        emptyStatus.metadata.name = "empty-status"
        emptyStatus.status = CloudResourceStatus()
        var compliant = everyField("compliant")
        compliant.status?.phase = .active
        compliant.status?.missingKeys = nil
        var missing = everyField("missing")
        missing.status?.phase = .active
        missing.status?.virtualTags?.append(VirtualTag(key: "cost-center", value: "cc-1", source: .model, confidence: 0.91, reason: "learned"))
        var pending = everyField("pending")
        pending.status?.phase = nil
        pending.status?.evaluatedAt = nil
        pending.status?.missingKeys = []
        pending.status?.history = nil
        pending.status?.conditions = nil
        return [everyField(), bare, emptyStatus, compliant, missing, pending]
    }

    @Test func theGaugeFieldsReadOffThePackedBytesAreTheResourcesOwn() {
        let strings = SharedStrings()
        let packing = CloudResourcePacking.make(strings: strings)
        // Packed twice: the second time, recurring strings are numbers in the table.
        for _ in 0..<2 {
            for resource in gaugeShapes() {
                let packed = packing.pack(resource)
                let read = strings.withTable { CloudResourcePacking.gaugeFields(packed, strings: $0) }
                #expect(read == CloudResourcePacking.GaugeFields(resource), "\(resource.name)")
            }
        }
        let vanished = CloudResourcePacking.GaugeFields(everyField())
        #expect(vanished.phase == .vanished && vanished.evaluated && !vanished.compliant && vanished.tags.map(\.key) == ["team", "owner"])
        #expect(CloudResourcePacking.GaugeFields(gaugeShapes()[5]).compliant && !CloudResourcePacking.GaugeFields(gaugeShapes()[5]).evaluated)
    }

    @Test func theGaugesOfAPackedCacheAreThoseOfAnUnpackedOne() async {
        let packed = Store<CloudResource>(packing: CloudResourcePacking.make())
        let plain = Store<CloudResource>()
        for store in [packed, plain] {
            await Informer(store: store) { AsyncThrowingStream { _ in } }.handle(.restarted(gaugeShapes()))
        }
        #expect(packed.count == 6 && plain.count == 6)
        let metrics = DomainMetrics(requiredKeys: ["team", "cost-center", "owner"])
        let (rules, approvals, jobs) = (Store<TaggingRule>(), Store<TagApproval>(), Store<DiscoveryJob>())
        let fromPacked = metrics.collect(resources: packed, approvals: approvals, rules: rules, jobs: jobs, modelVersion: nil)
        let fromPlain = metrics.collect(resources: plain, approvals: approvals, rules: rules, jobs: jobs, modelVersion: nil)
        #expect(fromPacked == fromPlain)
        #expect(fromPacked.resourcesByPhase == [.vanished: 1, .active: 5])
        #expect(fromPacked.evaluated == 3 && fromPacked.compliant == 1)
        #expect(fromPacked.coverage["cost-center"] == 1.0 / 5)
    }
}
