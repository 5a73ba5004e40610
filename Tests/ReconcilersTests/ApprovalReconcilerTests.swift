import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

/// A settable clock for the reconciler (the test server keeps real time for creationTimestamp).
final class TestClock: Sendable {
    private let offset = Locked<TimeInterval>(0)
    func advance(by seconds: TimeInterval) { offset.withLock { $0 += seconds } }
    var now: Date { Date().addingTimeInterval(offset.withLock { $0 }) }
}

/// A TagApproval reconciler against a fresh API test server with the real CRDs; informers feed the caches,
/// and each test calls `reconcile` itself so it can check what one reconcile writes.
struct ApprovalHarness: Sendable {
    let server: KubeAPITestServer
    let client: KubeClient
    let approvals: Store<TagApproval>
    let resources: Store<CloudResource>
    let model: ModelHolder
    let clock: TestClock
    let reconciler: TagApprovalReconciler
    static let namespace = "default"

    var approvalApi: Api<TagApproval> { Api(client: client, namespace: Self.namespace) }
    var resourceApi: Api<CloudResource> { Api(client: client, namespace: Self.namespace) }

    static func run(
        ttl: Duration = .seconds(3600), model: TagModel? = nil, resourceStore: Store<CloudResource>? = nil, recordEvents: Bool = false,
        _ body: (ApprovalHarness) async throws -> Void
    ) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: crdFiles()))
        let client = try KubeClient.load(kubeconfigPath: server.kubeconfigPath)
        let approvals = Informer(api: Api<TagApproval>.all(client))
        let resources = Informer(api: Api<CloudResource>.all(client))
        let holder = ModelHolder(model)
        let clock = TestClock()
        let events = recordEvents ? EventRecorder(client: client, .init(component: "vtag-operator")) : nil
        let reconciler = TagApprovalReconciler(
            client: client, approvals: approvals.store, resources: resourceStore ?? resources.store, model: holder,
            settings: TaggingSettings(approvalTTL: ttl), events: events, now: { clock.now })
        let harness = ApprovalHarness(
            server: server, client: client, approvals: approvals.store, resources: resourceStore ?? resources.store,
            model: holder, clock: clock, reconciler: reconciler)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await approvals.run() }
                group.addTask { try await resources.run() }
                if let events { group.addTask { try await events.run() } }
                defer { group.cancelAll() }
                await approvals.store.waitForSync()
                try await body(harness)
            }
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// Creates CloudResources `name-0` ... with the given name words, and waits until the cache has them.
    @discardableResult
    func seedResources(_ names: [String], nativeTags: [String: String] = [:]) async throws -> [CloudResource] {
        var created: [CloudResource] = []
        for name in names {
            let spec = CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/\(name)", type: "ec2:instance", name: name,
                account: "123456789012", region: "eu-west-1", nativeTags: nativeTags)
            created.append(try await resourceApi.create(CloudResource(metadata: ObjectMeta(name: name, namespace: Self.namespace), spec: spec)))
        }
        try await eventually("the cache holds the resources") { [resources] in
            names.allSatisfy { resources.get(name: $0, namespace: Self.namespace) != nil }
        }
        return created
    }

    func createApproval(_ name: String, key: String = "team", value: String, resources names: [String]) async throws -> TagApproval {
        let approval = TagApproval(
            metadata: ObjectMeta(name: name, namespace: Self.namespace, labels: [VTag.Label.managedBy: "vtag"]),
            spec: TagApprovalSpec(key: key, value: value, source: .model,
                                  resources: names.map { ApprovalResource(name: $0, confidence: 0.8, reason: "similar names") }))
        let created = try await approvalApi.create(approval)
        try await waitForCache(name) { _ in true }
        return created
    }

    /// What a person (or `kubectl vtag approve`) does: a merge patch of the status subresource.
    func decide(_ name: String, _ decision: ApprovalDecision, by user: String, reason: String? = nil, excluded: [String]? = nil) async throws {
        var status: [String: JSONValue] = ["decision": .string(decision.rawValue), "decidedBy": .string(user)]
        if let reason { status["reason"] = .string(reason) }
        if let excluded { status["excluded"] = .array(excluded.map { .string($0) }) }
        _ = try await approvalApi.patchStatus(name, .merge(.object(["status": .object(status)])))
        try await waitForCache(name) { $0.status?.decision == decision }
    }

    func waitForCache(_ name: String, _ condition: @escaping @Sendable (TagApproval) -> Bool) async throws {
        try await eventually("the approval cache catches up", timeout: .seconds(60)) { [approvals] in
            approvals.get(name: name, namespace: Self.namespace).map(condition) ?? false
        }
    }

    func reconcile(_ name: String) async throws -> ReconcileResult {
        try await reconciler.reconcile(ObjectKey(namespace: Self.namespace, name: name))
    }

    /// Requests that changed something (anything but reads and watches).
    func writes() -> [RecordedRequest] {
        server.requests().filter { !["get", "list", "watch"].contains($0.verb) }
    }
}

/// A small estate the model learns `team` from: search and billing services.
func approvalTestModel() -> TagModel {
    var specs: [CloudResourceSpec] = []
    for i in 0..<12 {
        for (team, name) in [("search", "search-api-\(i)"), ("billing", "billing-worker-\(i)")] {
            specs.append(CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/\(name)", type: "ec2:instance",
                name: name, account: "123456789012", region: "eu-west-1", nativeTags: ["team": team, "env": "prod"]))
        }
    }
    return EstateInference.learn(specs.map { InferenceInput(spec: $0) })
}

@Suite(.serialized) struct ApprovalReconcilerTests {
    @Test func approvingByAStatusPatchAppliesTheTagToEveryListedResourceButTheExcluded() async throws {
        try await ApprovalHarness.run { h in
            try await h.seedResources(["ledger-0", "ledger-1", "ledger-2", "ledger-3"])
            // ledger-gone is listed but was deleted before anyone decided.
            _ = try await h.createApproval("team-ledger", value: "ledger", resources: ["ledger-0", "ledger-1", "ledger-2", "ledger-3", "ledger-gone"])

            // Undecided: Pending, looked at again when the TTL runs out.
            let pending = try await h.reconcile("team-ledger")
            guard case .requeue(let after) = pending else { Issue.record("expected a requeue, got \(pending)"); return }
            #expect(after > .seconds(3000) && after <= .seconds(3600))
            var approval = try await h.approvalApi.get("team-ledger")
            #expect(approval.status?.phase == .pending)
            #expect(approval.status?.conditions?.find(VTag.ConditionType.decided)?.status == .false)

            try await h.decide("team-ledger", .approved, by: "alice", reason: "they run the ledger", excluded: ["ledger-3"])
            #expect(try await h.reconcile("team-ledger") == .done)

            approval = try await h.approvalApi.get("team-ledger")
            // The person's fields are untouched; the operator's are set.
            #expect(approval.status?.decision == .approved)
            #expect(approval.status?.decidedBy == "alice")
            #expect(approval.status?.reason == "they run the ledger")
            #expect(approval.status?.excluded == ["ledger-3"])
            #expect(approval.status?.phase == .applied)
            #expect(approval.status?.appliedCount == 3)
            #expect(approval.status?.observedGeneration == approval.metadata.generation)
            #expect(approval.status?.conditions?.find(VTag.ConditionType.applied)?.status == .true)
            #expect(approval.status?.conditions?.find(VTag.ConditionType.decided)?.status == .true)
            #expect(approval.status?.conditions?.find(VTag.ConditionType.applied)?.message.contains("ledger-gone: not found") == true)

            for name in ["ledger-0", "ledger-1", "ledger-2"] {
                let status = try #require(try await h.resourceApi.get(name).status)
                let tag = try #require(status.virtualTags?.first { $0.key == "team" })
                #expect(tag.value == "ledger")
                #expect(tag.source == .approval)
                #expect(tag.confidence == 1.0)
                #expect(tag.approval == "team-ledger")
                #expect(tag.reason == "approved by alice: they run the ledger")
                #expect(tag.appliedAt != nil)
                #expect(status.tagCount == status.virtualTags?.count)
                let entry = try #require(status.history?.last)
                #expect(entry.action == .applied)
                #expect(entry.key == "team")
                #expect(entry.new == "ledger")
                #expect(entry.actor == "approval/team-ledger by alice")
            }
            #expect(try await h.resourceApi.get("ledger-3").status?.virtualTags == nil)

            // Level-triggered and idempotent: another reconcile writes nothing.
            try await h.waitForCache("team-ledger") { $0.status?.phase == .applied }
            h.server.clearRequests()
            #expect(try await h.reconcile("team-ledger") == .done)
            #expect(h.writes().isEmpty)

            // The person takes ledger-3 out of the exclusions: it gets the tag too, and only it is written.
            _ = try await h.approvalApi.patchStatus("team-ledger", .merge(["status": ["excluded": .null]]))
            try await h.waitForCache("team-ledger") { $0.status?.excluded == nil }
            h.server.clearRequests()
            #expect(try await h.reconcile("team-ledger") == .done)
            #expect(h.writes().filter { $0.resource == "cloudresources" }.map(\.name) == ["ledger-3"])
            #expect(try await h.resourceApi.get("ledger-3").status?.virtualTags?.first?.approval == "team-ledger")
            #expect(try await h.approvalApi.get("team-ledger").status?.appliedCount == 4)
        }
    }

    @Test func denyingRecordsTheRejectionOnEachResourceAndTheModelLearnsIt() async throws {
        try await ApprovalHarness.run(model: approvalTestModel()) { h in
            try await h.seedResources(["search-api-90", "search-api-91"])
            _ = try await h.createApproval("team-billing", value: "billing", resources: ["search-api-90", "search-api-91"])
            let before = try #require(h.model.current).generation
            try await h.decide("team-billing", .denied, by: "bob", reason: "wrong team")
            #expect(try await h.reconcile("team-billing") == .done)

            let approval = try await h.approvalApi.get("team-billing")
            #expect(approval.status?.decision == .denied)
            #expect(approval.status?.reason == "wrong team")
            #expect(approval.status?.phase == .denied)
            #expect(approval.status?.appliedCount == nil)
            for name in ["search-api-90", "search-api-91"] {
                let status = try #require(try await h.resourceApi.get(name).status)
                #expect(status.rejected == [RejectedTag(key: "team", value: "billing", approval: "team-billing",
                                                        reason: "denied by bob: wrong team", rejectedAt: status.rejected?.first?.rejectedAt)])
                #expect(status.rejected?.first?.rejectedAt != nil)
                #expect(status.history?.last?.action == .rejected)
                #expect(status.history?.last?.actor == "approval/team-billing by bob")
                #expect(status.virtualTags == nil)
            }
            // One negative example per resource, once.
            #expect(try #require(h.model.current).generation == before + 2)
            try await h.waitForCache("team-billing") { $0.status?.phase == .denied }
            h.server.clearRequests()
            #expect(try await h.reconcile("team-billing") == .done)
            #expect(h.writes().isEmpty)
            #expect(try #require(h.model.current).generation == before + 2)
        }
    }

    @Test func theModelLearnsFromAnApproval() async throws {
        try await ApprovalHarness.run(model: approvalTestModel()) { h in
            let created = try await h.seedResources(["ledger-svc-0", "ledger-svc-1", "ledger-svc-2", "ledger-svc-3"])
            let initial = try #require(h.model.current)
            let probe = created[3].spec
            let before = initial.predict(key: "team", features: initial.features(spec: probe, known: [:]))
            #expect(before?.value != "ledger")  // a value it has never seen

            _ = try await h.createApproval("team-ledger", value: "ledger", resources: ["ledger-svc-0", "ledger-svc-1", "ledger-svc-2"])
            try await h.decide("team-ledger", .approved, by: "carol")
            #expect(try await h.reconcile("team-ledger") == .done)

            let learned = try #require(h.model.current)
            #expect(learned.generation == initial.generation + 3)
            #expect(learned.version != initial.version)
            let after = learned.predict(key: "team", features: learned.features(spec: probe, known: [:]))
            #expect(after?.value == "ledger")
        }
    }

    @Test func pendingApprovalsExpireAfterTheTTL() async throws {
        try await ApprovalHarness.run(ttl: .seconds(120)) { h in
            try await h.seedResources(["old-0"])
            _ = try await h.createApproval("team-old", value: "legacy", resources: ["old-0"])
            let first = try await h.reconcile("team-old")
            guard case .requeue(let after) = first else { Issue.record("expected a requeue, got \(first)"); return }
            #expect(after <= .seconds(120) && after >= .seconds(60))
            #expect(try await h.approvalApi.get("team-old").status?.phase == .pending)

            h.clock.advance(by: 121)
            try await h.waitForCache("team-old") { $0.status?.phase == .pending }
            #expect(try await h.reconcile("team-old") == .done)
            let approval = try await h.approvalApi.get("team-old")
            #expect(approval.status?.phase == .expired)
            #expect(approval.status?.decision == nil)
            let decided = try #require(approval.status?.conditions?.find(VTag.ConditionType.decided))
            #expect(decided.status == .false)
            #expect(decided.reason == "Expired")
            #expect(try await h.resourceApi.get("old-0").status?.virtualTags == nil)

            try await h.waitForCache("team-old") { $0.status?.phase == .expired }
            h.server.clearRequests()
            #expect(try await h.reconcile("team-old") == .done)
            #expect(h.writes().isEmpty)
        }
    }

    @Test func resourcesTheTaggerAddsAfterTheDecisionGetItToo() async throws {
        try await ApprovalHarness.run { h in
            try await h.seedResources(["late-0", "late-1"])
            _ = try await h.createApproval("team-late", value: "platform", resources: ["late-0"])
            try await h.decide("team-late", .approved, by: "dana")
            #expect(try await h.reconcile("team-late") == .done)
            #expect(try await h.approvalApi.get("team-late").status?.appliedCount == 1)

            // The tagger appended a resource, racing the person.
            var approval = try await h.approvalApi.get("team-late")
            approval.spec.resources.append(ApprovalResource(name: "late-1", confidence: 0.75, reason: "similar"))
            let extended = try await h.approvalApi.replace(approval)
            try await h.waitForCache("team-late") { $0.metadata.generation == extended.metadata.generation }
            #expect(try await h.reconcile("team-late") == .done)

            approval = try await h.approvalApi.get("team-late")
            #expect(approval.status?.phase == .applied)
            #expect(approval.status?.appliedCount == 2)
            #expect(approval.status?.observedGeneration == extended.metadata.generation)
            #expect(try await h.resourceApi.get("late-1").status?.virtualTags?.first?.value == "platform")
            // late-0 already had it: written once only.
            #expect(try await h.resourceApi.get("late-0").status?.history?.count == 1)
        }
    }

    @Test func aManualTagWinsOverTheApproval() async throws {
        try await ApprovalHarness.run { h in
            let created = try await h.seedResources(["hand-0", "hand-1", "hand-2"])
            var manual = created[0]
            manual.status = CloudResourceStatus(virtualTags: [VirtualTag(key: "team", value: "ops", source: .manual, confidence: 1, reason: "manual")])
            _ = try await h.resourceApi.replaceStatus(manual)
            // On hand-2 a person removed the key by hand (kubectl vtag untag), before the tagger ran.
            _ = try await h.resourceApi.patch("hand-2", .merge(["spec": ["manualTags": ["team": ""]]]))
            try await eventually("cache") {
                h.resources.get(name: "hand-0", namespace: "default")?.status?.virtualTags != nil
                    && h.resources.get(name: "hand-2", namespace: "default")?.spec.manualTags != nil
            }

            _ = try await h.createApproval("team-web", value: "web", resources: ["hand-0", "hand-1", "hand-2"])
            try await h.decide("team-web", .approved, by: "erin")
            #expect(try await h.reconcile("team-web") == .done)
            #expect(try await h.resourceApi.get("hand-0").status?.virtualTags?.first?.value == "ops")
            #expect(try await h.resourceApi.get("hand-1").status?.virtualTags?.first?.value == "web")
            #expect(try await h.resourceApi.get("hand-2").status?.virtualTags == nil)
            let approval = try await h.approvalApi.get("team-web")
            #expect(approval.status?.phase == .applied)
            #expect(approval.status?.appliedCount == 1)
        }
    }

    @Test func aConflictingWriteIsRetriedOnAFreshCopyAndLosesNothing() async throws {
        // A cache that never catches up by itself: it holds what the test put there.
        let stale = Store<CloudResource>()
        try await ApprovalHarness.run(resourceStore: stale) { h in
            let created = try await h.seedResourcesDirectly(["busy-0"])
            try await CacheAwareApi(h.resourceApi, cache: stale).refresh("busy-0")  // as read before the tagger's write
            // The tagger writes the status meanwhile; the cached copy is now one version behind.
            var tagged = created[0]
            tagged.status = CloudResourceStatus(
                virtualTags: [VirtualTag(key: "env", value: "prod", source: .native, confidence: 0.98, reason: "native tag")],
                evaluatedAt: Date(timeIntervalSince1970: 1_800_000_000))
            _ = try await h.resourceApi.replaceStatus(tagged)

            _ = try await h.createApproval("team-busy", value: "payments", resources: ["busy-0"])
            try await h.decide("team-busy", .approved, by: "frank")
            h.server.clearRequests()
            #expect(try await h.reconcile("team-busy") == .done)

            // Status writes are merge patches guarded by the resourceVersion (`patchStatus(of:)`).
            let statusWrites = h.server.requests().filter { $0.resource == "cloudresources" && $0.subresource == "status" && $0.verb == "patch" }
            #expect(statusWrites.map(\.responseStatus) == [409, 200])
            let status = try #require(try await h.resourceApi.get("busy-0").status)
            #expect(Set(status.virtualTags?.map(\.key) ?? []) == ["env", "team"])
            #expect(status.evaluatedAt == Date(timeIntervalSince1970: 1_800_000_000))
            #expect(try await h.approvalApi.get("team-busy").status?.phase == .applied)
        }
    }

    @Test func oneApprovalOfTwoHundredResourcesIsAppliedToAll() async throws {
        try await ApprovalHarness.run { h in
            let names = (0..<TagApproval.maxResources).map { "bulk-\($0)" }
            try await h.seedResources(names)
            _ = try await h.createApproval("team-bulk", value: "data", resources: names)
            try await h.decide("team-bulk", .approved, by: "gina")
            #expect(try await h.reconcile("team-bulk") == .done)
            #expect(try await h.approvalApi.get("team-bulk").status?.appliedCount == names.count)
            let tagged = try await h.resourceApi.listAll().items.filter { $0.status?.virtualTags?.first?.approval == "team-bulk" }
            #expect(tagged.count == names.count)
        }
    }
}

extension ApprovalHarness {
    /// Creates resources without waiting for the informer's cache (for a test that supplies its own store).
    func seedResourcesDirectly(_ names: [String]) async throws -> [CloudResource] {
        var created: [CloudResource] = []
        for name in names {
            let spec = CloudResourceSpec(provider: "aws", id: "id-\(name)", type: "ec2:instance", name: name)
            created.append(try await resourceApi.create(CloudResource(metadata: ObjectMeta(name: name, namespace: Self.namespace), spec: spec)))
        }
        return created
    }
}

extension ApprovalReconcilerTests {
    @Test func decisionsAndExpiryAreRecordedAsEvents() async throws {
        try await ApprovalHarness.run(ttl: .seconds(60), recordEvents: true) { h in
            try await h.seedResources(["ev-0", "ev-1"])
            _ = try await h.createApproval("team-events", value: "audit", resources: ["ev-0", "ev-1"])
            _ = try await h.createApproval("team-lapsed", value: "audit", resources: ["ev-1"])
            try await h.decide("team-events", .approved, by: "hana")
            #expect(try await h.reconcile("team-events") == .done)
            h.clock.advance(by: 61)
            #expect(try await h.reconcile("team-lapsed") == .done)

            let events = Api<CoreV1Event>(client: h.client, namespace: "default")
            try await eventually("both events are recorded", timeout: .seconds(60)) {
                let reasons = try await events.list().items.map(\.reason)
                return reasons.contains("TagsApplied") && reasons.contains("ApprovalExpired")
            }
            let all = try await events.list().items
            let applied = try #require(all.first { $0.reason == "TagsApplied" })
            #expect(applied.involvedObject.name == "team-events")
            #expect(applied.message?.contains("team=audit: 2 resource(s) updated") == true)
            #expect(all.first { $0.reason == "ApprovalExpired" }?.involvedObject.name == "team-lapsed")
        }
    }
}

extension ApprovalReconcilerTests {
    @Test func aResourceThatKeepsConflictingFailsTheReconcileAndALaterOneFinishes() async throws {
        try await ApprovalHarness.run { h in
            try await h.seedResources(["calm-0", "busy-1"])
            _ = try await h.createApproval("team-retry", value: "payments", resources: ["calm-0", "busy-1"])
            try await h.decide("team-retry", .approved, by: "ivan")
            // Every write of busy-1's status conflicts, more times than the reconciler retries.
            h.server.faults.failNext(5, status: 409, matching: "/apis/vtag.dev/v1alpha1/namespaces/default/cloudresources/busy-1/status")
            await #expect(throws: (any Error).self) { _ = try await h.reconcile("team-retry") }

            var approval = try await h.approvalApi.get("team-retry")
            #expect(approval.status?.phase == .approved)  // decided, being applied
            #expect(approval.status?.appliedCount == 1)
            let applied = try #require(approval.status?.conditions?.find(VTag.ConditionType.applied))
            #expect(applied.status == .false)
            #expect(applied.reason == "ApplyPending")
            #expect(try await h.resourceApi.get("calm-0").status?.virtualTags?.first?.value == "payments")
            #expect(try await h.resourceApi.get("busy-1").status?.virtualTags == nil)

            // The queue's retry: the conflicts are over.
            try await h.waitForCache("team-retry") { $0.status?.phase == .approved }
            #expect(try await h.reconcile("team-retry") == .done)
            approval = try await h.approvalApi.get("team-retry")
            #expect(approval.status?.phase == .applied)
            #expect(approval.status?.appliedCount == 2)
            #expect(try await h.resourceApi.get("busy-1").status?.virtualTags?.first?.value == "payments")
            #expect(try await h.resourceApi.get("calm-0").status?.history?.count == 1)
        }
    }
}

extension ApprovalReconcilerTests {
    @Test func anApprovalDeletedBehindTheCacheIsNotAnError() async throws {
        // An approvals cache that keeps what the test put there, like an informer that has not seen the deletion yet.
        try await ApprovalHarness.run { h in
            try await h.seedResources(["gone-0"])
            _ = try await h.createApproval("team-gone", value: "x", resources: ["gone-0"])
            let stale = Store<TagApproval>()
            try await CacheAwareApi(h.approvalApi, cache: stale).refresh("team-gone")
            let reconciler = TagApprovalReconciler(
                client: h.client, approvals: stale, resources: h.resources, model: h.model, settings: TaggingSettings(), events: nil)
            _ = try await h.approvalApi.delete("team-gone")
            let result = try await reconciler.reconcile(ObjectKey(namespace: "default", name: "team-gone"))
            guard case .requeue = result else { Issue.record("a pending approval is looked at again later, got \(result)"); return }
        }
    }
}
