import Foundation
import Inference
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

@Suite(.serialized) struct RuleReconcilerTests {
    static func teamRule(regex: String) -> TaggingRuleSpec {
        TaggingRuleSpec(match: RuleMatch(types: ["ec2:instance"], name: NameMatch(regex: regex)), tags: [RuleTag(key: "team", value: "${name.team}")])
    }

    @Test func anInvalidRuleIsReportedWithAnEventAndDoesNotStopTheOthers() async throws {
        try await TaggingHarness.run { h in
            let reconciler = TaggingRuleReconciler(client: h.client, rules: h.rules.store, tagger: h.tagger, events: h.events, countWriteInterval: .zero)
            let bad = try await h.create(rule: "broken", Self.teamRule(regex: "^(?<team>[a-z+-"))
            let good = try await h.create(rule: "team-from-name", Self.teamRule(regex: "^(?<team>[a-z]+)-"))
            let owner = try await h.create(rule: "owner-everywhere", TaggingRuleSpec(tags: [RuleTag(key: "owner", value: "alice")]))

            let resources = [
                try await h.create(instanceSpec(1, name: "payments-api")),
                try await h.create(instanceSpec(2, name: "search-api")),
                try await h.create(CloudResourceSpec(provider: "aws", id: "arn:aws:s3:::logs", type: "s3:bucket", name: "logs-bucket")),
            ]
            try await h.reconcileAll(resources.map(h.key))

            // The good rules still tag.
            let tagged = try await h.resourceApi.get(resources[0].name).status?.virtualTags ?? []
            #expect(tagged.contains { $0.key == "team" && $0.value == "payments" && $0.rule == "team-from-name" })
            #expect(tagged.contains { $0.key == "owner" && $0.value == "alice" })

            for rule in [bad, good, owner] { _ = try await reconciler.reconcile(h.key(rule)) }

            let badStatus = try #require(try await h.ruleApi.get("broken").status)
            let ready = try #require(badStatus.conditions?.find("Ready"))
            #expect(ready.status == .false)
            #expect(ready.reason == "Invalid")
            #expect(ready.message.contains("does not compile"))
            #expect(ready.observedGeneration == bad.metadata.generation)
            #expect(badStatus.matchedResources == 0)
            try await eventually("an InvalidRule warning event", timeout: .seconds(60)) {
                let events = try await Api<CoreV1Event>(client: h.client, namespace: h.namespace).list().items
                return events.contains { $0.reason == "InvalidRule" && $0.type == "Warning" && $0.involvedObject.name == "broken" }
            }

            let goodStatus = try #require(try await h.ruleApi.get("team-from-name").status)
            #expect(goodStatus.conditions?.find("Ready")?.status == .true)
            #expect(goodStatus.conditions?.find("Ready")?.reason == "Compiled")
            #expect(goodStatus.matchedResources == 2)
            #expect(goodStatus.lastEvaluatedAt != nil)
            #expect(goodStatus.observedGeneration == good.metadata.generation)
            #expect(try await h.ruleApi.get("owner-everywhere").status?.matchedResources == 3)

            // Nothing changed: no write, no new event.
            h.server.clearRequests()
            for rule in [bad, good, owner] { _ = try await reconciler.reconcile(h.key(rule)) }
            #expect(h.writes().isEmpty)

            // Fixing the rule makes it Ready.
            var fixed = try await h.ruleApi.get("broken")
            fixed.spec = Self.teamRule(regex: "^(?<team>[a-z]+)-api$")
            try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(fixed)
            _ = try await reconciler.reconcile(h.key(bad))
            #expect(try await h.ruleApi.get("broken").status?.conditions?.find("Ready")?.status == .true)
        }
    }

    @Test func aRuleIsCompiledAgainOnlyWhenItsSpecChangesOrItWasGone() {
        let memo = RuleProblemsMemo()
        var compiled: [TaggingRuleSpec] = []
        func problems(_ rule: TaggingRule) -> [String] {
            memo.problems(of: rule) { r in
                compiled.append(r.spec)
                return TaggingRuleReconciler.problems(of: r, tables: .default)
            }
        }
        var rule = TaggingRule(metadata: ObjectMeta(name: "team", namespace: "estate"), spec: Self.teamRule(regex: "^(?<team>[a-z+-"))
        let broken = problems(rule)
        #expect(broken.contains { $0.contains("does not compile") })
        #expect(problems(rule) == broken)
        #expect(compiled.count == 1)

        // A status or metadata change alone is not looked at again; a spec change is.
        rule.status = TaggingRuleStatus(matchedResources: 3)
        rule.metadata.resourceVersion = "7"
        #expect(problems(rule) == broken)
        #expect(compiled.count == 1)
        rule.spec = Self.teamRule(regex: "^(?<team>[a-z]+)-")
        #expect(problems(rule).isEmpty)
        #expect(compiled.count == 2)

        // The same spec under another name is a rule of its own; a rule gone and made again is compiled afresh.
        var other = rule
        other.metadata.name = "team-2"
        #expect(problems(other).isEmpty)
        #expect(compiled.count == 3)
        memo.forget(ObjectKey(rule))
        #expect(problems(rule).isEmpty)
        #expect(compiled.count == 4)
    }

    @Test func matchedCountsFollowTheLedgerAndSignalTheRulesThatChanged() async throws {
        try await TaggingHarness.run { h in
            let signalled = WokenKeys()
            let reconciler = TaggingRuleReconciler(client: h.client, rules: h.rules.store, tagger: h.tagger, events: nil, countWriteInterval: .zero)
            let rule = try await h.create(rule: "team-from-name", Self.teamRule(regex: "^(?<team>[a-z]+)-"))
            let a = try await h.create(instanceSpec(1, name: "payments-api"))
            let b = try await h.create(instanceSpec(2, name: "search-api"))
            try await h.reconcileAll([h.key(a), h.key(b)])
            signalled.add(h.tagger.ruleMatchesChanged.take().flatMap(\.keys))
            #expect(signalled.keys == [h.key(rule), h.key(rule)])
            _ = try await reconciler.reconcile(h.key(rule))
            let before = try #require(try await h.ruleApi.get(rule.name).status)
            #expect(before.matchedResources == 2)

            // One resource stops matching (renamed), the other is deleted.
            var renamed = try await h.resourceApi.get(a.name)
            renamed.spec.name = "PAYMENTS"
            try await CacheAwareApi(h.resourceApi, cache: h.resources.store).replace(renamed)
            _ = try await h.tagger.reconcileAndFlush(h.key(a))
            _ = try await h.resourceApi.delete(b.name)
            try await eventually("the deletion reaches the cache", timeout: .seconds(60)) { h.resources.store.get(h.key(b)) == nil }
            _ = try await h.tagger.reconcileAndFlush(h.key(b))
            #expect(h.tagger.matchedResources(of: h.key(rule)) == 0)
            signalled.add(h.tagger.ruleMatchesChanged.take().flatMap(\.keys))
            #expect(signalled.keys.count == 4)
            _ = try await reconciler.reconcile(h.key(rule))
            let after = try #require(try await h.ruleApi.get(rule.name).status)
            #expect(after.matchedResources == 0)
            #expect(after.lastEvaluatedAt != nil)
        }
    }

    @Test func resourcesTouchedCoversTheOldAndNewScopeAndNothingElse() async throws {
        try await TaggingHarness.run { h in
            let inA = try await h.create(instanceSpec(1, account: "111111111111"))
            let inB = try await h.create(instanceSpec(2, account: "222222222222"))
            let volume = try await h.create(CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:volume/vol-1", type: "ec2:volume", account: "111111111111"))
            let db = try await h.create(CloudResourceSpec(
                provider: "aws", id: "arn:aws:rds:eu-west-1:111111111111:db:orders", type: "rds:db", account: "111111111111"))
            let vm = try await h.create(CloudResourceSpec(provider: "gcp", id: "projects/p/zones/z/instances/vm-1", type: "compute:instance"))
            // Same type in another namespace: never touched by a rule of this one.
            let elsewhere = CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:111111111111:instance/i-other", type: "ec2:instance", account: "111111111111")
            try await CacheAwareApi(client: h.client, namespace: "kube-system", cache: h.resources.store).create(CloudResource(
                metadata: ObjectMeta(name: ResourceNaming.name(provider: "aws", id: elsewhere.id), namespace: "kube-system"), spec: elsewhere))
            let keys = { (objects: [CloudResource]) in objects.map(h.key).sorted() }

            // ec2:* in account 111: the instance and the volume there, not account 222, rds, gcp or azure.
            let v1 = try await h.create(rule: "ec2-in-a", TaggingRuleSpec(
                match: RuleMatch(providers: ["aws"], types: ["ec2:*"], accounts: ["111111111111"]), tags: [RuleTag(key: "env", value: "prod")]))
            #expect(h.tagger.resourcesTouched(by: v1) == keys([inA, volume]))

            // Moved to rds: the new scope and the old one (what it no longer matches must be re-evaluated).
            var edited = v1
            edited.spec.match = RuleMatch(types: ["rds:db"])
            let v2 = try await CacheAwareApi(h.ruleApi, cache: h.rules.store).replace(edited)
            #expect(h.tagger.resourcesTouched(by: v2) == keys([inA, volume, db]))
            // The informer maps the old object after the new one: still both, and the new spec stays remembered.
            #expect(h.tagger.resourcesTouched(by: v1) == keys([inA, volume, db]))
            #expect(h.tagger.resourcesTouched(by: v2) == keys([db]))

            // A rule without scope touches every resource of its namespace only.
            let all = try await h.create(rule: "everything", TaggingRuleSpec(tags: [RuleTag(key: "owner", value: "x")]))
            #expect(h.tagger.resourcesTouched(by: all) == keys([inA, inB, volume, db, vm]))

            // A deleted rule re-evaluates what it matched.
            _ = try await h.ruleApi.delete(v2.name)
            try await eventually("the rule deletion reaches the cache", timeout: .seconds(60)) { h.rules.store.get(h.key(v2)) == nil }
            #expect(h.tagger.resourcesTouched(by: v2) == keys([db]))
        }
    }
}
