import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

/// The tagger and the rule reconciler wired as the operator wires them (Controllers over Informers),
/// driven only by API writes.
@Suite(.serialized) struct TaggingControllerTests {
    @Test func ruleEditsReTagOnlyWhatTheyTouchAndCountsFollow() async throws {
        try await TaggingHarness.run { h in
            let rulesReconciler = TaggingRuleReconciler(
                client: h.client, rules: h.rules.store, tagger: h.tagger, events: h.events, countWriteInterval: .milliseconds(200))
            let tagging = Controller(name: "tagger", workers: 4) { try await h.tagger.reconcile($0) }
            tagging.watch(h.resources)
            tagging.watches(h.rules) { h.tagger.resourcesTouched(by: $0) }
            let ruling = Controller(name: "rules", workers: 2) { try await rulesReconciler.reconcile($0) }
            ruling.watch(h.rules)
            ruling.reconcileOn(h.tagger.ruleMatchesChanged)
            tagging.reconcileOn(h.tagger.dependentsChanged)

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await tagging.run() }
                group.addTask { try await ruling.run() }
                defer { group.cancelAll() }

                let instances = (0..<20).map { instanceSpec($0, name: "payments-\($0)") }
                let db = CloudResourceSpec(provider: "aws", id: "arn:aws:rds:eu-west-1:111111111111:db:orders", type: "rds:db", name: "orders-db")
                for spec in instances + [db] { try await h.create(spec) }
                _ = try await h.ruleApi.create(TaggingRule(
                    metadata: ObjectMeta(name: "team", namespace: h.namespace),
                    spec: TaggingRuleSpec(match: RuleMatch(types: ["ec2:instance"], name: NameMatch(regex: "^(?<team>[a-z]+)-")),
                                          tags: [RuleTag(key: "team", value: "${name.team}")])))

                let names = instances.map { ResourceNaming.name(provider: $0.provider, id: $0.id) }
                let dbName = ResourceNaming.name(provider: db.provider, id: db.id)
                try await eventually("every instance tagged by the rule", timeout: .seconds(60)) {
                    let items = try await h.resourceApi.listAll().items
                    return names.allSatisfy { n in items.first { $0.name == n }?.status?.virtualTags?.contains { $0.key == "team" && $0.value == "payments" } == true }
                        && items.first { $0.name == dbName }?.status?.evaluatedAt != nil
                }
                try await eventually("the rule reports its matches", timeout: .seconds(60)) {
                    let status = try await h.ruleApi.get("team").status
                    return status?.matchedResources == 20 && status?.conditions?.find("Ready")?.status == .true
                }

                // Editing the rule's value re-tags the instances; the database is out of scope and untouched.
                h.server.clearRequests()
                var rule = try await h.ruleApi.get("team")
                rule.spec.tags = [RuleTag(key: "team", value: "${name.team}-squad")]
                _ = try await h.ruleApi.replace(rule)
                try await eventually("every instance re-tagged", timeout: .seconds(60)) {
                    let items = try await h.resourceApi.listAll().items
                    return names.allSatisfy { n in items.first { $0.name == n }?.status?.virtualTags?.contains { $0.key == "team" && $0.value == "payments-squad" } == true }
                }
                let statusWrites = h.writes("cloudresources").filter { $0.subresource == "status" }
                #expect(!statusWrites.contains { $0.name == dbName })
                #expect(Set(statusWrites.compactMap(\.name)) == Set(names))

                // Narrowing the rule to nothing: the instances lose the tag (old scope re-evaluated), counts drop.
                rule = try await h.ruleApi.get("team")
                // (The name regex stays: the CRD refuses a ${name.GROUP} value without one.)
                rule.spec.match = RuleMatch(types: ["lambda:function"], name: NameMatch(regex: "^(?<team>[a-z]+)-"))
                _ = try await h.ruleApi.replace(rule)
                try await eventually("the tag removed from every instance", timeout: .seconds(60)) {
                    let items = try await h.resourceApi.listAll().items
                    return names.allSatisfy { n in items.first { $0.name == n }?.status?.virtualTags?.contains { $0.key == "team" } == false }
                }
                try await eventually("matchedResources back to 0", timeout: .seconds(60)) {
                    try await h.ruleApi.get("team").status?.matchedResources == 0
                }
                let history = try await h.resourceApi.get(names[0]).status?.history ?? []
                #expect(history.map(\.action) == [.applied, .changed, .removed])
            }
        }
    }

    /// The predicate the CloudResource controller is registered with: a new resource costs one inference,
    /// not two (its status write comes back through the watch, and that echo is not evaluated again).
    @Test func theEchoOfTheTaggersOwnStatusWriteCostsNoInference() async throws {
        try await TaggingHarness.run { h in
            let tagging = Controller(name: "tagger", workers: 4) { try await h.tagger.reconcile($0) }
            tagging.watch(h.resources, predicate: .notOwnWrite(h.tagger.ownWrites))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await tagging.run() }
                defer { group.cancelAll() }
                let count = 12
                for i in 0..<count {
                    let spec = instanceSpec(i, native: ["team": "payments"])
                    _ = try await h.resourceApi.create(CloudResource(
                        metadata: ObjectMeta(name: ResourceNaming.name(provider: spec.provider, id: spec.id), namespace: h.namespace), spec: spec))
                }
                try await eventually("every resource evaluated and every echo seen", timeout: .seconds(60)) {
                    let all = h.resources.store.list()
                    return all.count == count && all.allSatisfy { $0.status?.evaluatedAt != nil } && h.tagger.ownWrites.pending == 0
                }
                try await eventually("the tagger idle", timeout: .seconds(60)) {
                    let processing = await tagging.queue.processingCount
                    let queued = await tagging.queue.count
                    return processing == 0 && queued == 0
                }
                // One inference per resource, and at most a few more: an echo the watch delivers before the
                // write's answer cannot be known as ours (every echo evaluated would make 2 x count).
                #expect(h.tagger.evaluations >= count)
                #expect(h.tagger.evaluations < 2 * count, "\(h.tagger.evaluations) inferences for \(count) resources")
            }
        }
    }
}
