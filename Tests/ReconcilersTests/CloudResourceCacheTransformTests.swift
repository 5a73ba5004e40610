import Foundation
import K8sClient
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// The operator's CloudResource cache transform: what the tagger reads and writes back survives it whole,
/// what repeats across resources is shared, and an update replaces what was shared before.
@Suite struct CloudResourceCacheTransformTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func resource(_ name: String, team: String = "payments", rv: Int = 1, tagReason: String = "matched rule team-from-account") -> CloudResource {
        let meta = ObjectMeta(
            name: name, namespace: "finops", uid: "uid-\(name)", resourceVersion: String(rv), generation: 1, creationTimestamp: t0,
            labels: ["vtag.dev/provider": "aws", "vtag.dev/type": "ec2-instance", "vtag.dev/account": "123456789012", "vtag.dev/region": "eu-west-1"],
            annotations: ["kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{}}"],
            ownerReferences: [OwnerReference(apiVersion: "vtag.dev/v1alpha1", kind: "DiscoveryJob", name: "estate", uid: "uid-of-the-job-0123456789",
                                             controller: true, blockOwnerDeletion: true)])
        let spec = CloudResourceSpec(
            provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/i-\(name)", type: "ec2:instance", name: name,
            account: "123456789012", region: "eu-west-1", nativeTags: ["Team": team, "Environment": "production-eu"],
            attributes: ["instanceType": "m5.large", "state": "running"],
            relations: [Relation(type: "InVPC", target: "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0abc")], manualTags: ["owner": "ana"])
        let status = CloudResourceStatus(
            phase: .active,
            virtualTags: [VirtualTag(key: "team", value: team, source: .rule, confidence: 1, rule: "team-from-account", reason: tagReason, appliedAt: t0)],
            missingKeys: ["cost-center"], rejected: [RejectedTag(key: "env", value: "dev", approval: "tap-1", reason: "wrong", rejectedAt: t0)],
            history: [TagHistoryEntry(time: t0, action: .applied, key: "team", new: team, actor: "rule/team-from-account")],
            conditions: [Condition(type: "Compliant", status: .false, observedGeneration: 1, lastTransitionTime: t0, reason: "MissingKeys",
                                   message: "missing required keys: cost-center")],
            evaluatedAt: t0, modelVersion: "model-generation-7", observedGeneration: 1)
        return CloudResource(metadata: meta, spec: spec, status: status)
    }

    func storage<E>(_ a: [E]?) -> UnsafeRawPointer? { a?.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } }

    /// A dictionary's storage reference (a Dictionary value is that one reference).
    func storage(_ d: [String: String]?) -> UInt? { d.map { d in withUnsafeBytes(of: d) { $0.load(as: UInt.self) } } }

    @Test func everythingButTheAnnotationsSurvives() {
        let transform = CloudResourceCacheTransform.make()
        let original = resource("web-1")
        let cached = transform(original)
        var expected = original
        expected.metadata.annotations = nil
        #expect(cached == expected)
        // What inference and the status write read, field by field.
        #expect(cached.spec == original.spec)
        #expect(cached.status == original.status)
        #expect(cached.metadata.resourceVersion == "1" && cached.metadata.generation == 1)
    }

    @Test func whatRepeatsIsShared() {
        let transform = CloudResourceCacheTransform.make()
        let a = transform(resource("web-1"))
        let b = transform(resource("web-2"))
        #expect(storage(a.metadata.ownerReferences) == storage(b.metadata.ownerReferences))
        #expect(storage(a.status?.missingKeys) == storage(b.status?.missingKeys))
        #expect(storage(a.status?.conditions) == storage(b.status?.conditions))
        #expect(storage(a.spec.relations) == storage(b.spec.relations))
        #expect(storage(a.metadata.labels) == storage(b.metadata.labels))
        #expect(storage(a.spec.nativeTags) == storage(b.spec.nativeTags))
        #expect(storage(a.spec.attributes) == storage(b.spec.attributes))
        // Decoded separately, the same dictionaries are two copies (what the transform saves). Both are kept
        // alive while compared: a freed copy's address can be the next one's.
        let first = resource("web-1"), second = resource("web-2")
        withExtendedLifetime((first, second)) {
            #expect(storage(first.metadata.labels) != storage(second.metadata.labels))
        }
    }

    @Test func anUpdateIsSeenThroughTheCache() async throws {
        let store = Store<CloudResource>(transform: CloudResourceCacheTransform.make())
        let informer = Informer(store: store) { AsyncThrowingStream { _ in } }
        await informer.handle(.restarted([resource("web-1"), resource("web-2")]))
        // web-1 moves to another team: new native tags, a new virtual tag and history entry.
        var moved = resource("web-1", team: "search", rv: 2, tagReason: "matched rule team-from-account (search)")
        moved.status?.missingKeys = []
        moved.status?.history?.insert(TagHistoryEntry(time: t0, action: .applied, key: "team", new: "payments", actor: "rule/team-from-account"), at: 0)
        await informer.handle(.applied(moved))
        let cached = try #require(store.get(name: "web-1", namespace: "finops"))
        #expect(cached.spec.nativeTags?["Team"] == "search")
        #expect(cached.status?.virtualTags?.first?.value == "search")
        #expect(cached.status?.virtualTags?.first?.reason == "matched rule team-from-account (search)")
        #expect(cached.status?.missingKeys == [])
        #expect(cached.status?.history?.count == 2)
        #expect(cached.metadata.resourceVersion == "2")
        // The other resource keeps what it had, shared or not.
        let other = try #require(store.get(name: "web-2", namespace: "finops"))
        #expect(other.spec.nativeTags?["Team"] == "payments")
        #expect(other.status?.missingKeys == ["cost-center"])
        var expected = resource("web-2")
        expected.metadata.annotations = nil
        #expect(other == expected)
    }
}
