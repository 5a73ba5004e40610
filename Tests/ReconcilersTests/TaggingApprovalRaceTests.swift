import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

/// The model changes between two evaluations of the same resources (a retrain in the middle of a run):
/// each suggestion moves to another group and back, evaluated by concurrent workers, while the approval
/// cache catches up with the batcher's own writes and deletions. Whatever the timing, every resource
/// is listed exactly once in the pending approvals of the group it is suggested for now, and in no
/// pending approval of a group it no longer is; and at no moment is a resource in two pending approvals
/// of one key (a person would be asked twice, and could approve one value while denying the other).
@Suite("Tagging approvals when the model changes")
struct TaggingApprovalRaceTests {
    /// Every model prediction becomes a suggestion (nothing is applied, nothing discarded), for one key.
    static let settings = TaggingSettings(
        inference: InferenceConfig(thresholds: Thresholds(autoApply: 1.1, suggest: 0), requiredKeys: ["team"]))

    /// A model that predicts team=`team` for instances named `svc-*` in account 111111111111.
    static func model(team: String, generation: Int) -> TagModel {
        let blank = TagModel()
        let examples = (0..<20).map { i in
            let spec = instanceSpec(1000 + i, name: "svc-\(1000 + i)")
            return TrainingExample(id: spec.id, features: blank.features(spec: spec, known: [:]), labels: ["team": team])
        }
        return TagModel.train(examples, keys: ["team"], generation: generation)
    }

    /// Server-side listings of the namespace's approvals: group -> resource -> how many times listed
    /// (pending approvals only, or all).
    static func listings(_ h: TaggingHarness, pendingOnly: Bool) async throws -> [ApprovalGroup: [String: Int]] {
        var out: [ApprovalGroup: [String: Int]] = [:]
        for a in try await h.approvalApi.listAll().items where !pendingOnly || ApprovalBatcher.isPending(a) {
            let group = ApprovalGroup(namespace: h.namespace, key: a.spec.key, value: a.spec.value, source: a.spec.source, rule: a.spec.rule)
            for r in a.spec.resources { out[group, default: [:]][r.name, default: 0] += 1 }
        }
        return out
    }

    /// Watches the approvals on its own (no read-your-own-writes: exactly the server's states, in order)
    /// and records every state in which a resource is listed twice in one group, or in two pending
    /// approvals of one key.
    final class ApprovalObserver: Sendable {
        let informer: Informer<TagApproval>
        private let found = Locked<[String]>([])
        var violations: [String] { found.withLock { $0 } }

        init(client: KubeClient) {
            informer = Informer(api: Api<TagApproval>.all(client))
            informer.addHandler { [self] _ in
                // Handlers run after the event is stored and before the next one: this is a server state.
                let problems = Self.problems(in: informer.store.list())
                if !problems.isEmpty { found.withLock { $0.append(contentsOf: problems) } }
            }
        }

        static func problems(in approvals: [TagApproval]) -> [String] {
            var problems: [String] = []
            var byGroup: [String: [String: Int]] = [:]
            var pendingByKey: [String: [String]] = [:]  // "resource key" -> pending approvals listing it
            for a in approvals {
                for r in a.spec.resources {
                    byGroup[ApprovalNaming.groupHash(of: a.spec), default: [:]][r.name, default: 0] += 1
                    if ApprovalBatcher.isPending(a) { pendingByKey["\(r.name) \(a.spec.key)", default: []].append(a.name) }
                }
            }
            for (group, listed) in byGroup { for (name, n) in listed where n > 1 { problems.append("\(name) listed \(n) times in group \(group)") } }
            for (what, names) in pendingByKey where names.count > 1 { problems.append("\(what) pending in \(names.sorted())") }
            return problems
        }
    }

    @Test func suggestionsMovingBetweenGroupsAreListedOnceAndWithdrawnFromTheOldGroup() async throws {
        try await TaggingHarness.run(settings: Self.settings) { h in
            let observer = ApprovalObserver(client: h.client)
            let watching = Task { try await observer.informer.run() }
            defer { watching.cancel() }
            try await eventually("observer synced") { observer.informer.hasSynced }

            let alpha = Self.model(team: "alpha", generation: 1)
            let beta = Self.model(team: "beta", generation: 2)
            let probe = CloudResourceTagger.input(for: CloudResource(metadata: ObjectMeta(name: "p"), spec: instanceSpec(1, name: "svc-1")))
            #expect(TagInferencer(config: Self.settings.inference, rules: .empty, model: alpha).infer(probe).suggested.map(\.value) == ["alpha"])
            #expect(TagInferencer(config: Self.settings.inference, rules: .empty, model: beta).infer(probe).suggested.map(\.value) == ["beta"])

            var keys: [ObjectKey] = []
            for i in 0..<40 { keys.append(h.key(try await h.create(instanceSpec(i, name: "svc-\(i)")))) }
            let names = Set(keys.map(\.name))
            let groups = ["alpha": ApprovalGroup(namespace: h.namespace, key: "team", value: "alpha", source: .model, rule: nil),
                          "beta": ApprovalGroup(namespace: h.namespace, key: "team", value: "beta", source: .model, rule: nil)]

            // Alternate the model and evaluate everything right away, 8 workers at a time: each round
            // withdraws every resource from the other group (deleting its emptied approval) and lists it
            // in this one, while the cache may still show the approval just deleted.
            for round in 0..<8 {
                let team = round.isMultiple(of: 2) ? "alpha" : "beta"
                h.model.replace(team == "alpha" ? alpha : beta)
                try await h.reconcileAll(keys.shuffled(), concurrency: 8)

                let all = try await Self.listings(h, pendingOnly: false)
                for (group, listed) in all {
                    let twice = listed.filter { $0.value > 1 }.keys.sorted()
                    #expect(twice.isEmpty, "round \(round): listed twice in \(group): \(twice.prefix(5))")
                }
                let pending = try await Self.listings(h, pendingOnly: true)
                let now = Set(pending[groups[team]!]?.keys.map { $0 } ?? [])
                #expect(now == names, "round \(round): \(names.subtracting(now).count) resources missing from \(team)")
                let other = team == "alpha" ? "beta" : "alpha"
                let stale = pending[groups[other]!]?.keys.sorted() ?? []
                #expect(stale.isEmpty, "round \(round): \(stale.count) resources still listed for \(other)")
            }
            // The observer's verdict counts once it has seen every write (its cache equals the server's list).
            try await eventually("observer caught up") {
                let server = try await h.approvalApi.listAll().items.map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" }
                return Set(server) == Set(observer.informer.store.list().map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
            }
            #expect(observer.violations.isEmpty, "\(observer.violations.count) bad states, e.g. \(observer.violations.prefix(5))")
        }
    }

    /// The same, with no pause between the flips: each round starts while the cache may still show the
    /// approval the previous round emptied and deleted (and a re-created one of the same name).
    @Test func backToBackModelFlipsLeaveEachResourceListedOnceInItsCurrentGroup() async throws {
        try await TaggingHarness.run(settings: Self.settings) { h in
            let observer = ApprovalObserver(client: h.client)
            let watching = Task { try await observer.informer.run() }
            defer { watching.cancel() }
            try await eventually("observer synced") { observer.informer.hasSynced }
            let models = [Self.model(team: "alpha", generation: 1), Self.model(team: "beta", generation: 2)]
            var keys: [ObjectKey] = []
            for i in 0..<12 { keys.append(h.key(try await h.create(instanceSpec(i, name: "svc-\(i)")))) }
            for round in 0..<25 {
                h.model.replace(models[round % 2])
                try await h.reconcileAll(keys.shuffled(), concurrency: 4)
            }
            // Round 24 was alpha.
            let pending = try await Self.listings(h, pendingOnly: true)
            let alpha = ApprovalGroup(namespace: h.namespace, key: "team", value: "alpha", source: .model, rule: nil)
            #expect(pending[alpha] == Dictionary(uniqueKeysWithValues: keys.map { ($0.name, 1) }), "each listed once for alpha")
            #expect(pending.count == 1, "nothing pending elsewhere: \(pending.keys.map(\.description))")
            try await eventually("observer caught up") {
                let server = try await h.approvalApi.listAll().items.map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" }
                return Set(server) == Set(observer.informer.store.list().map { "\($0.name)@\($0.metadata.resourceVersion ?? "")" })
            }
            #expect(observer.violations.isEmpty, "\(observer.violations.count) bad states, e.g. \(observer.violations.prefix(5))")
        }
    }

    /// The approval cache lags the batcher's deletions: a tagger whose approval cache hears of no watch
    /// event at all (only its own writes) still lists a resource whose suggestion comes back to a group
    /// whose approval it just emptied and deleted, and the late DELETED event of that approval takes
    /// nothing the tagger wrote since out of its cache.
    @Test func anApprovalTheBatcherDeletedIsNotTakenForAListingWhileTheCacheStillShowsIt() async throws {
        try await TaggingHarness.run { h in
            let lagging = Store<TagApproval>()
            let feed = Informer(store: lagging) { AsyncThrowingStream<WatcherEvent<TagApproval>, any Error> { $0.finish() } }
            await feed.handle(.restarted([]))
            let tagger = CloudResourceTagger(
                client: h.client, resources: h.resources.store, rules: h.rules.store, approvals: lagging, model: h.model,
                settings: h.settings, events: nil)
            var rule = try await h.create(rule: "owner-suggest", TaggingReconcilerTests.ownerSuggestion)
            func suggest(_ owner: String) async throws {
                rule.spec.tags = [RuleTag(key: "owner", value: owner)]
                rule = try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(rule)
            }
            func pendingOwners() async throws -> [String: [String]] {  // resource -> "value@approval"
                var out: [String: [String]] = [:]
                for a in try await h.approvalApi.listAll().items where ApprovalBatcher.isPending(a) {
                    for r in a.spec.resources { out[r.name, default: []].append("\(a.spec.value)@\(a.name)") }
                }
                return out
            }
            let a = try await h.create(instanceSpec(1))
            let platform0 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 0)
            let infra0 = ApprovalNaming.name(key: "owner", value: "infra", source: .rule, rule: "owner-suggest", chunk: 0)

            _ = try await tagger.reconcileAndFlush(h.key(a))
            let first = try await h.approvalApi.get(platform0)
            try await suggest("infra")
            _ = try await tagger.reconcileAndFlush(h.key(a))  // platform-0 emptied and deleted; the cache still shows it
            #expect(try await h.approvalApi.getOptional(platform0) == nil)
            let infra = try await h.approvalApi.get(infra0)
            try await suggest("platform")
            _ = try await tagger.reconcileAndFlush(h.key(a))
            var owners = try await pendingOwners()
            #expect(owners[a.name]?.count == 1 && owners[a.name]?.first?.hasPrefix("platform@") == true, "\(owners)")

            // The DELETED events arrive late; the tagger's own writes since stay in its cache.
            await feed.handle(.deleted(first))
            await feed.handle(.deleted(infra))
            #expect(lagging.byIndex(ApprovalBatcher.resourceIndex, ApprovalBatcher.resourceValue(namespace: h.namespace, resource: a.name))
                .map(\.spec.value) == ["platform"])
            try await suggest("infra")
            _ = try await tagger.reconcileAndFlush(h.key(a))
            owners = try await pendingOwners()
            #expect(owners[a.name] == ["infra@\(infra0)"], "\(owners)")
            #expect(try await h.approvalApi.listAll().items.map(\.spec.value) == ["infra"])
        }
    }
}
