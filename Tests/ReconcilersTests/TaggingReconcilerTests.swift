import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

@Suite(.serialized) struct TaggingReconcilerTests {
    static let teamRule = TaggingRuleSpec(
        priority: 10, mode: .apply,
        match: RuleMatch(types: ["ec2:*"], name: NameMatch(regex: "^(?<team>[a-z]+)-")),
        tags: [RuleTag(key: "team", value: "${name.team}")])

    static let ownerSuggestion = TaggingRuleSpec(
        mode: .suggest, confidence: 0.8, match: RuleMatch(types: ["ec2:instance"]), tags: [RuleTag(key: "owner", value: "platform")])

    @Test func appliesConfidentRuleAndNativeTagsWithReasonsAndWritesNothingTheSecondTime() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "team-from-name", Self.teamRule)
            let resource = try await h.create(instanceSpec(1, name: "payments-api-1", native: ["Environment": "Production"]))

            let result = try await h.tagger.reconcileAndFlush(h.key(resource))
            guard case .done = result else { Issue.record("expected done (the resync re-evaluates later), got \(result)"); return }

            let status = try #require(try await h.resourceApi.get(resource.name).status)
            let tags = Dictionary(uniqueKeysWithValues: (status.virtualTags ?? []).map { ($0.key, $0) })
            let team = try #require(tags["team"])
            #expect(team.value == "payments")
            #expect(team.source == .rule)
            #expect(team.rule == "team-from-name")
            #expect(team.reason.contains("team-from-name"))
            #expect(team.appliedAt != nil)
            let env = try #require(tags["env"])
            #expect(env.value == "production")
            #expect(env.source == .native)
            #expect(env.reason.contains("Environment=Production"))
            #expect(status.tagCount == 2)
            #expect(status.missingKeys == ["owner", "cost-center", "application"])
            #expect(status.conditions?.find("Tagged")?.status == .true)
            let compliant = try #require(status.conditions?.find("Compliant"))
            #expect(compliant.status == .false)
            #expect(compliant.reason == "MissingKeys")
            #expect(compliant.message.contains("owner"))
            #expect(status.observedGeneration == resource.metadata.generation)
            #expect(status.evaluatedAt != nil)
            #expect(status.phase == .active, "the PHASE column of `kubectl get cres` shows Active once evaluated")
            let history = status.history ?? []
            #expect(history.contains { $0.action == .applied && $0.key == "team" && $0.new == "payments" && $0.actor == "rule/team-from-name" })
            #expect(history.contains { $0.action == .applied && $0.key == "env" && $0.actor == "native" })
            let coverage = h.tagger.requiredKeyCoverage()
            #expect(coverage["team"]?.covered == 1 && coverage["team"]?.total == 1)
            #expect(coverage["owner"]?.covered == 0 && coverage["owner"]?.total == 1)

            // The Event says what happened.
            try await eventually("a TagsApplied event", timeout: .seconds(60)) {
                let events = try await Api<CoreV1Event>(client: h.client, namespace: h.namespace).list().items
                return events.contains { $0.reason == "TagsApplied" && $0.involvedObject.name == resource.name && ($0.message ?? "").contains("team=payments") }
            }

            // Nothing changed: the second evaluation sends no write and no event.
            h.server.clearRequests()
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))
            try await Task.sleep(for: .milliseconds(300))
            #expect(h.writes().isEmpty, "unexpected writes: \(h.writes().map { "\($0.verb) \($0.path)" })")
            #expect(h.server.requests().filter { $0.resource == "events" && $0.verb != "watch" }.isEmpty)
            #expect(try await h.resourceApi.get(resource.name).status?.history == status.history)
        }
    }

    @Test func manualTagsWinAndAnEmptyManualValueRemovesAKey() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "team-from-name", Self.teamRule)
            let resource = try await h.create(instanceSpec(2, name: "payments-api-2", native: ["env": "prod"]))
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))

            var edited = try await h.resourceApi.get(resource.name)
            edited.spec.manualTags = ["team": "core", "env": ""]
            try await CacheAwareApi(h.resourceApi, cache: h.resources.store).replace(edited)
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))

            let status = try #require(try await h.resourceApi.get(resource.name).status)
            let team = try #require(status.virtualTags?.first { $0.key == "team" })
            #expect(team.value == "core")
            #expect(team.source == .manual)
            #expect(team.confidence == 1.0)
            #expect(status.virtualTags?.contains { $0.key == "env" } == false)
            #expect(status.missingKeys?.contains("env") == true)
            let history = status.history ?? []
            #expect(history.contains { $0.action == .changed && $0.key == "team" && $0.old == "payments" && $0.new == "core" && $0.actor == "manual" })
            #expect(history.contains { $0.action == .removed && $0.key == "env" && $0.old == "production" && $0.actor == "manual" })
        }
    }

    @Test func approvedTagsSurviveReEvaluationWithTheirRefAndTime() async throws {
        try await TaggingHarness.run { h in
            let approvedAt = Date(timeIntervalSince1970: 1_700_000_000)
            let approved = VirtualTag(
                key: "owner", value: "alice", source: .approval, confidence: 1.0, approval: "owner-alice-0123456789-0",
                reason: "approved in owner-alice-0123456789-0 by bob", appliedAt: approvedAt)
            let resource = try await h.create(
                instanceSpec(3, native: ["team": "payments"]), status: CloudResourceStatus(virtualTags: [approved]))
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))

            let status = try #require(try await h.resourceApi.get(resource.name).status)
            let owner = try #require(status.virtualTags?.first { $0.key == "owner" })
            #expect(owner == approved)
            #expect(status.virtualTags?.contains { $0.key == "team" && $0.source == .native } == true)
            #expect(status.missingKeys?.contains("owner") == false)
            // The approval reconciler records the approval; the tagger adds no history for an unchanged value.
            #expect(status.history?.contains { $0.key == "owner" } != true)
        }
    }

    @Test func suggestionsBecomeGroupedApprovalsInDeterministicChunksWithoutDuplicates() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", Self.ownerSuggestion)
            var keys: [ObjectKey] = []
            // At most 50 creates in flight: past the server's HTTP/2 stream limit (100) AsyncHTTPClient queues
            // requests and fails those that wait longer than its connect timeout.
            try await withThrowingTaskGroup(of: ObjectKey.self) { group in
                for i in 0..<250 {
                    if i >= 50, let k = try await group.next() { keys.append(k) }
                    group.addTask { h.key(try await h.create(instanceSpec(i))) }
                }
                for try await k in group { keys.append(k) }
            }
            keys.sort()
            try await h.reconcileAll(keys)

            let name0 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 0)
            let name1 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 1)
            let first = try await h.approvalApi.listAll().items.sorted { $0.name < $1.name }
            #expect(first.map(\.name) == [name0, name1].sorted())
            let byName = Dictionary(uniqueKeysWithValues: first.map { ($0.name, $0) })
            #expect(byName[name0]?.spec.resources.count == TagApproval.maxResources)
            #expect(byName[name1]?.spec.resources.count == 50)
            #expect(first.allSatisfy { $0.spec.resourceCount == $0.spec.resources.count })
            #expect(first.allSatisfy { $0.spec.key == "owner" && $0.spec.value == "platform" && $0.spec.source == .rule && $0.spec.rule == "owner-suggest" })
            let hash = ApprovalNaming.groupHash(key: "owner", value: "platform", source: .rule, rule: "owner-suggest")
            #expect(first.allSatisfy { $0.metadata.labels?[VTag.Label.approvalGroup] == hash && $0.metadata.labels?[VTag.Label.managedBy] == "vtag" })
            let listed = first.flatMap { $0.spec.resources.map(\.name) }
            #expect(listed.count == 250)
            #expect(Set(listed) == Set(keys.map(\.name)))
            #expect(first.flatMap(\.spec.resources).allSatisfy { $0.confidence == 0.8 && $0.reason.contains("owner-suggest") })
            // A suggestion is not applied.
            let one = try await h.resourceApi.get(keys[0].name)
            #expect(one.status?.virtualTags?.contains { $0.key == "owner" } == false)
            #expect(one.status?.missingKeys?.contains("owner") == true)

            // Evaluating everything again adds nothing.
            h.server.clearRequests()
            try await h.reconcileAll(keys)
            #expect(h.writes("tagapprovals").isEmpty)

            // A restarted operator whose approval cache is still empty: deterministic names and AlreadyExists
            // lead it to the existing approvals; nothing is duplicated.
            let restarted = CloudResourceTagger(
                client: h.client, resources: h.resources.store, rules: h.rules.store, approvals: Store<TagApproval>(),
                model: h.model, settings: h.settings, events: nil)
            try await h.reconcileAll(keys, with: restarted)
            let after = try await h.approvalApi.listAll().items.sorted { $0.name < $1.name }
            #expect(after.map(\.name) == first.map(\.name))
            #expect(after.map(\.spec.resources) == first.map(\.spec.resources))
            #expect(h.writes("tagapprovals").allSatisfy { $0.verb == "create" && $0.responseStatus == 409 })
        }
    }

    @Test func aNewResourceJoinsThePendingChunkButNeverADecidedOne() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", Self.ownerSuggestion)
            let a = try await h.create(instanceSpec(1))
            _ = try await h.tagger.reconcileAndFlush(h.key(a))
            let name0 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 0)
            var approval = try await h.approvalApi.get(name0)
            #expect(approval.spec.resources.map(\.name) == [a.name])

            // Still pending: the next resource joins chunk 0.
            let b = try await h.create(instanceSpec(2))
            _ = try await h.tagger.reconcileAndFlush(h.key(b))
            approval = try await h.approvalApi.get(name0)
            #expect(approval.spec.resources.map(\.name) == [a.name, b.name])

            // A person decides chunk 0: the next resource goes to chunk 1.
            approval.status = TagApprovalStatus(decision: .denied, reason: "not ours")
            try await CacheAwareApi(h.approvalApi, cache: h.approvals.store).replaceStatus(approval)
            let c = try await h.create(instanceSpec(3))
            _ = try await h.tagger.reconcileAndFlush(h.key(c))
            let name1 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 1)
            #expect(try await h.approvalApi.get(name1).spec.resources.map(\.name) == [c.name])
            #expect(try await h.approvalApi.get(name0).spec.resources.count == 2)
        }
    }

    @Test func aChangedSuggestionIsWithdrawnFromPendingApprovalsButNotFromDecidedOnes() async throws {
        try await TaggingHarness.run { h in
            let rule = try await h.create(rule: "owner-suggest", Self.ownerSuggestion)
            let a = try await h.create(instanceSpec(1))
            let b = try await h.create(instanceSpec(2))
            let c = try await h.create(instanceSpec(3, account: "222222222222"))
            try await h.reconcileAll([h.key(a), h.key(b)])
            let platform0 = ApprovalNaming.name(key: "owner", value: "platform", source: .rule, rule: "owner-suggest", chunk: 0)
            #expect(try await h.approvalApi.get(platform0).spec.resources.map(\.name).sorted() == [a.name, b.name].sorted())

            // The rule now suggests another owner in account 111 only.
            var edited = rule
            edited.spec.tags = [RuleTag(key: "owner", value: "infra")]
            edited.spec.match = RuleMatch(types: ["ec2:instance"], accounts: ["111111111111"])
            try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(edited)
            _ = try await h.tagger.reconcileAndFlush(h.key(a))
            let infra0 = ApprovalNaming.name(key: "owner", value: "infra", source: .rule, rule: "owner-suggest", chunk: 0)
            #expect(try await h.approvalApi.get(infra0).spec.resources.map(\.name) == [a.name])
            let remaining = try await h.approvalApi.get(platform0)
            #expect(remaining.spec.resources.map(\.name) == [b.name])
            #expect(remaining.spec.resourceCount == 1)

            // The last resource leaves: the empty approval is deleted.
            _ = try await h.tagger.reconcileAndFlush(h.key(b))
            #expect(try await h.approvalApi.getOptional(platform0) == nil)
            #expect(try await h.approvalApi.get(infra0).spec.resources.map(\.name).sorted() == [a.name, b.name].sorted())

            // A decided approval stays a record: c (account 222, no longer matched) is not taken out of it.
            var back = try await h.ruleApi.get(rule.name)
            back.spec = Self.ownerSuggestion
            try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(back)
            _ = try await h.tagger.reconcileAndFlush(h.key(c))
            var decided = try await h.approvalApi.get(platform0)
            #expect(decided.spec.resources.map(\.name) == [c.name])
            decided.status = TagApprovalStatus(decision: .approved)
            try await CacheAwareApi(h.approvalApi, cache: h.approvals.store).replaceStatus(decided)
            var narrowed = try await h.ruleApi.get(rule.name)
            narrowed.spec.match = RuleMatch(types: ["ec2:instance"], accounts: ["111111111111"])
            try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(narrowed)
            h.server.clearRequests()
            _ = try await h.tagger.reconcileAndFlush(h.key(c))
            #expect(h.writes("tagapprovals").isEmpty)
            #expect(try await h.approvalApi.get(platform0).spec.resources.map(\.name) == [c.name])
        }
    }

    @Test func aValueTooLongForTheSchemaIsLeftOutAndTheRestIsWritten() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "echo-name", TaggingRuleSpec(tags: [RuleTag(key: "application", value: "${name}-${name}-${name}")]))
            let longName = String(repeating: "n", count: 100)
            let resource = try await h.create(instanceSpec(1, name: longName, native: ["env": "prod"]))
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))
            let status = try #require(try await h.resourceApi.get(resource.name).status)
            #expect(status.virtualTags?.map(\.key) == ["env"])
            #expect(status.missingKeys?.contains("application") == true)
        }
    }

    @Test func aNewModelVersionAloneWaitsForThePeriodicRefresh() async throws {
        try await TaggingHarness.run(model: TagModel()) { h in
            let resource = try await h.create(instanceSpec(1, native: ["env": "prod"]))
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))
            let first = try #require(try await h.resourceApi.get(resource.name).status)
            #expect(first.modelVersion == "v1.0")

            // A learned decision makes a new version; it changes nothing this resource shows.
            h.model.update { m in m.learn(decision: true, key: "zzz", value: "v", features: m.features(spec: resource.spec, known: [:])) }
            #expect(h.model.version == "v1.1")
            h.server.clearRequests()
            _ = try await h.tagger.reconcileAndFlush(h.key(resource))
            #expect(h.writes().isEmpty)

            // At the periodic refresh the version is recorded.
            let later = CloudResourceTagger(
                client: h.client, resources: h.resources.store, rules: h.rules.store, approvals: h.approvals.store, model: h.model,
                settings: h.settings, events: nil, now: { Date().addingTimeInterval(2 * 3600) })
            _ = try await later.reconcile(h.key(resource))
            let refreshed = try #require(try await h.resourceApi.get(resource.name).status)
            #expect(refreshed.modelVersion == "v1.1")
            #expect(refreshed.evaluatedAt! > first.evaluatedAt!)
            #expect(refreshed.virtualTags == first.virtualTags)
            #expect(refreshed.history == first.history)
        }
    }

    @Test func aRejectedValueIsNotSuggestedAgain() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", Self.ownerSuggestion)
            let rejected = RejectedTag(key: "owner", value: "platform", approval: "x", reason: "wrong team", rejectedAt: Date(timeIntervalSince1970: 1_700_000_000))
            let denied = try await h.create(instanceSpec(1), status: CloudResourceStatus(rejected: [rejected]))
            let other = try await h.create(instanceSpec(2))
            try await h.reconcileAll([h.key(denied), h.key(other)])

            let approvals = try await h.approvalApi.listAll().items
            #expect(approvals.count == 1)
            #expect(approvals.first?.spec.resources.map(\.name) == [other.name])
            let status = try await h.resourceApi.get(denied.name).status
            #expect(status?.rejected == [rejected])
            #expect(status?.virtualTags?.contains { $0.key == "owner" } == false)
        }
    }

    @Test func aVanishedResourceKeepsItsTagsAndGetsNoSuggestion() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", Self.ownerSuggestion)
            let tag = VirtualTag(key: "team", value: "core", source: .native, confidence: 0.98, reason: "native tag team=core",
                                 appliedAt: Date(timeIntervalSince1970: 1_700_000_000))
            let gone = try await h.create(instanceSpec(1), status: CloudResourceStatus(phase: .vanished, virtualTags: [tag]))
            h.server.clearRequests()
            #expect(try await h.tagger.reconcileAndFlush(h.key(gone)) == .done)
            #expect(h.writes().isEmpty)
            #expect(try await h.resourceApi.get(gone.name).status?.virtualTags == [tag])
        }
    }

    @Test func aVolumeInheritsFromItsInstanceAndIsWokenWhenTheInstanceChanges() async throws {
        try await TaggingHarness.run { h in
            let instance = try await h.create(instanceSpec(1, native: ["team": "payments"]))
            let volume = try await h.create(volumeSpec(attachedTo: instance.spec.id))
            _ = try await h.tagger.reconcileAndFlush(h.key(instance))
            #expect(h.tagger.dependentsChanged.take().flatMap(\.keys) == [h.key(volume)])
            _ = try await h.tagger.reconcileAndFlush(h.key(volume))
            let team = try #require(try await h.resourceApi.get(volume.name).status?.virtualTags?.first { $0.key == "team" })
            #expect(team.value == "payments")
            #expect(team.source == .inherited)
            #expect(team.reason.contains(instance.spec.id))
        }
    }

    /// Related resources are found by provider id within the resource's namespace: an instance of the same id
    /// in another namespace gives the volume nothing and, evaluated, does not wake it.
    @Test func aRelatedResourceIsFoundInTheSameNamespaceOnly() async throws {
        try await TaggingHarness.run { h in
            _ = try await Api<Namespace>.all(h.client).create(Namespace(name: "other"))
            let elsewhere = CloudResource(
                metadata: ObjectMeta(name: "twin", namespace: "other"), spec: instanceSpec(1, native: ["team": "search"]))
            let twin = try await CacheAwareApi(Api<CloudResource>(client: h.client, namespace: "other"), cache: h.resources.store).create(elsewhere)
            let instance = try await h.create(instanceSpec(1, native: ["team": "payments"]))
            let volume = try await h.create(volumeSpec(attachedTo: instance.spec.id))
            _ = try await h.tagger.reconcileAndFlush(h.key(twin))
            #expect(h.tagger.dependentsChanged.take().flatMap(\.keys).isEmpty)
            _ = try await h.tagger.reconcileAndFlush(h.key(instance))
            #expect(h.tagger.dependentsChanged.take().flatMap(\.keys) == [h.key(volume)])
            _ = try await h.tagger.reconcileAndFlush(h.key(volume))
            let team = try #require(try await h.resourceApi.get(volume.name).status?.virtualTags?.first { $0.key == "team" })
            #expect(team.value == "payments")
        }
    }

    /// Discovery creates an instance and its volume side by side: the volume, seen first, waits for the
    /// instance's first evaluation instead of being written once without the tag it inherits and once with it.
    @Test func aNewVolumeWaitsForItsUnevaluatedInstanceAndIsWrittenOnce() async throws {
        try await TaggingHarness.run { h in
            let instance = try await h.create(instanceSpec(1, native: ["team": "payments"]))
            let volume = try await h.create(volumeSpec(attachedTo: instance.spec.id))
            h.server.clearRequests()
            #expect(try await h.tagger.reconcileAndFlush(h.key(volume)) == .requeue(after: CloudResourceTagger.parentWait))
            #expect(h.writes("cloudresources").isEmpty)

            _ = try await h.tagger.reconcileAndFlush(h.key(instance))
            #expect(h.tagger.dependentsChanged.take().flatMap(\.keys) == [h.key(volume)])
            #expect(try await h.tagger.reconcileAndFlush(h.key(volume)) == .done)
            let team = try #require(try await h.resourceApi.get(volume.name).status?.virtualTags?.first { $0.key == "team" })
            #expect(team.source == .inherited)
            #expect(h.writes("cloudresources").filter { $0.path.hasSuffix("/\(volume.name)/status") }.count == 1)
        }
    }

    /// On a fresh install a resource seen before the first model waits for it (the first training fires every
    /// resource), instead of being written now and again with the model's tags; one evaluated before is not held.
    @Test func aNewResourceWaitsForTheFirstModelAndAnEvaluatedOneDoesNot() async throws {
        try await TaggingHarness.run { h in
            let tagger = CloudResourceTagger(
                client: h.client, resources: h.resources.store, rules: h.rules.store, approvals: h.approvals.store, model: h.model,
                settings: h.settings, events: nil, awaitsFirstModel: { [model = h.model] in model.current == nil })
            let fresh = try await h.create(instanceSpec(1, native: ["team": "payments"]))
            let evaluated = try await h.create(instanceSpec(2, native: ["team": "core"]), status: CloudResourceStatus(evaluatedAt: Date(timeIntervalSince1970: 1_700_000_000)))
            h.server.clearRequests()
            #expect(try await tagger.reconcileAndFlush(h.key(fresh)) == .done)
            #expect(h.writes("cloudresources").isEmpty)
            _ = try await tagger.reconcileAndFlush(h.key(evaluated))
            #expect(h.writes("cloudresources").count == 1)

            h.model.replace(TagModel(generation: 1))
            _ = try await tagger.reconcileAndFlush(h.key(fresh))
            #expect(try await h.resourceApi.get(fresh.name).status?.virtualTags?.contains { $0.key == "team" && $0.value == "payments" } == true)
        }
    }

    /// Held for the first model longer than `parentWaitLimit` (a long first discovery), a volume still waits for
    /// its instance: the wait counts from when the tagger began evaluating, not from the volume's creation.
    @Test func aResourceHeldForTheFirstModelWaitsForItsParentFromWhenEvaluationBegan() async throws {
        try await TaggingHarness.run { h in
            let instance = try await h.create(instanceSpec(1, native: ["team": "payments"]))
            let volume = try await h.create(volumeSpec(attachedTo: instance.spec.id))
            let created = try #require(volume.metadata.creationTimestamp)
            let clock = Locked(created.addingTimeInterval(2 * CloudResourceTagger.parentWaitLimit))
            let tagger = CloudResourceTagger(
                client: h.client, resources: h.resources.store, rules: h.rules.store, approvals: h.approvals.store, model: h.model,
                settings: h.settings, events: nil, now: { clock.withLock { $0 } })
            #expect(try await tagger.reconcileAndFlush(h.key(volume)) == .requeue(after: CloudResourceTagger.parentWait))
            clock.withLock { $0 = $0.addingTimeInterval(CloudResourceTagger.parentWaitLimit + 1) }
            #expect(try await tagger.reconcileAndFlush(h.key(volume)) == .done, "but not for longer than the limit")
        }
    }

    /// After a catch-up training the estate is queued parents first: what relates to nothing, then what others
    /// relate to (instances in a subnet), then the rest (their volumes), so on a first discovery an instance is
    /// evaluated before the volumes that inherit from it.
    @Test func aCatchUpQueuesParentsBeforeTheirChildren() async throws {
        try await TaggingHarness.run { h in
            let subnet = try await h.create(CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:subnet/subnet-1", type: "ec2:subnet", name: "subnet-1",
                account: "111111111111", region: "eu-west-1"))
            var volumes: [ObjectKey] = [], instances: [ObjectKey] = []
            for i in 1...4 {
                var spec = instanceSpec(i)
                spec.relations = [Relation(type: "InSubnet", target: subnet.spec.id)]
                let instance = try await h.create(spec)
                var volume = volumeSpec(attachedTo: instance.spec.id)
                volume.id += "-\(i)"
                volumes.append(h.key(try await h.create(volume)))
                instances.append(h.key(instance))
            }
            let order = ModelRunnable.parentsFirst(h.resources.store)
            #expect(order.first == h.key(subnet))
            #expect(Set(order.dropFirst().prefix(4)) == Set(instances))
            #expect(Set(order.suffix(4)) == Set(volumes))
        }
    }

    /// A parent with nothing to apply still wakes what waited for it (its first evaluation), and two
    /// resources related to each other do not wait for each other.
    @Test func aParentWithoutTagsWakesItsDependentsAndMutualRelationsDoNotWait() async throws {
        try await TaggingHarness.run { h in
            let bare = try await h.create(instanceSpec(1))
            let volume = try await h.create(volumeSpec(attachedTo: bare.spec.id))
            #expect(try await h.tagger.reconcileAndFlush(h.key(volume)) == .requeue(after: CloudResourceTagger.parentWait))
            _ = try await h.tagger.reconcileAndFlush(h.key(bare))
            #expect(h.tagger.dependentsChanged.take().flatMap(\.keys) == [h.key(volume)])

            let a = try await h.create(CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:instance/i-a", type: "ec2:instance", name: "a",
                relations: [Relation(type: "Peer", target: "arn:aws:ec2:eu-west-1:111111111111:instance/i-b")]))
            _ = try await h.create(CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:instance/i-b", type: "ec2:instance", name: "b",
                relations: [Relation(type: "Peer", target: "arn:aws:ec2:eu-west-1:111111111111:instance/i-a")]))
            #expect(try await h.tagger.reconcileAndFlush(h.key(a)) == .done)
        }
    }
}

final class WokenKeys: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [ObjectKey] = []
    func add(_ keys: [ObjectKey]) { lock.withLock { stored += keys } }
    var keys: [ObjectKey] { lock.withLock { stored } }
}
