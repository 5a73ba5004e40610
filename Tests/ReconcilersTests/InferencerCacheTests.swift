import Inference
@testable import K8sClient
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// The tagger's workers ask `InferencerCache` for an inferencer on every reconcile: it must build one only when a
/// namespace's rules or the model moved, and only once however many workers ask at the same moment.
@Suite struct InferencerCacheTests {
    static func rule(_ name: String, generation: Int64, regex: String = "^(?<team>[a-z]+)-") -> TaggingRule {
        var rule = TaggingRule(
            metadata: ObjectMeta(name: name, namespace: "estate"),
            spec: TaggingRuleSpec(match: RuleMatch(types: ["ec2:instance"], name: NameMatch(regex: regex)),
                                  tags: [RuleTag(key: "team", value: "${name.team}")]))
        rule.metadata.uid = "uid-\(name)"
        rule.metadata.generation = generation
        return rule
    }

    @Test func anInferencerIsBuiltAgainOnlyWhenTheNamespacesRulesOrTheModelChange() {
        let rules = Store<TaggingRule>()
        _ = rules.apply(Self.rule("team", generation: 1))
        let cache = InferencerCache(rules: rules, config: .default)
        let first = TagModel(generation: 1)

        #expect(cache.inferencer(namespace: "estate", model: first).rules.rules.count == 1)
        #expect(cache.builds == 1)
        _ = cache.inferencer(namespace: "estate", model: first)
        #expect(cache.builds == 1)

        // A status write moves the store's revision but not the rule's generation: nothing to build.
        var counted = Self.rule("team", generation: 1)
        counted.status = TaggingRuleStatus(matchedResources: 3)
        counted.metadata.resourceVersion = "2"
        _ = rules.apply(counted)
        _ = cache.inferencer(namespace: "estate", model: first)
        #expect(cache.builds == 1)

        // A new rule, a spec change (new generation) and a new model each cost one build.
        _ = rules.apply(Self.rule("owner", generation: 1))
        #expect(cache.inferencer(namespace: "estate", model: first).rules.rules.count == 2)
        #expect(cache.builds == 2)
        _ = rules.apply(Self.rule("owner", generation: 2, regex: "^(?<team>[a-z]+)_"))
        _ = cache.inferencer(namespace: "estate", model: first)
        #expect(cache.builds == 3)
        let second = cache.inferencer(namespace: "estate", model: first.numbered(2))
        #expect(second.model?.version == first.numbered(2).version)
        #expect(cache.builds == 4)

        // Another namespace has its own entry; an empty one still gets an inferencer (no rules).
        #expect(cache.inferencer(namespace: "other", model: first).rules.rules.isEmpty)
        #expect(cache.builds == 5)
    }

    @Test func workersAskingAtOnceAfterAModelChangeShareOneBuild() async {
        let rules = Store<TaggingRule>()
        _ = rules.apply(Self.rule("team", generation: 1))
        let cache = InferencerCache(rules: rules, config: .default)
        _ = cache.inferencer(namespace: "estate", model: TagModel(generation: 1))
        #expect(cache.builds == 1)

        let next = TagModel(generation: 2)
        let versions = await withTaskGroup(of: String.self) { group in
            for _ in 0..<16 {
                group.addTask { cache.inferencer(namespace: "estate", model: next).model?.version ?? "none" }
            }
            var seen: [String] = []
            for await version in group { seen.append(version) }
            return seen
        }
        #expect(versions.count == 16)
        #expect(Set(versions) == [next.version])
        #expect(cache.builds == 2)
    }
}
