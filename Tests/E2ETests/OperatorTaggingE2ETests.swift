// The tagging loop end to end, with VTagManager in-process: the example TaggingRules and a simulated
// DiscoveryJob of 1,000 resources on a fresh install (no stored model); every resource evaluated, the
// model trained soon after discovery and the estate evaluated again with it, confident tags applied,
// suggestions (rule and model) turned into TagApprovals, none listed twice, even while the model changes;
// a rule edit re-tags exactly what it touches. Expectations come from the same pure inference, with the
// operator's model, run offline over what discovery wrote. Against the test server (enforcing manifests/
// RBAC, the operator as its ServiceAccount), or a real cluster with VTAG_E2E_KUBECONFIG.
import Foundation
import Inference
import K8sClient
import KubeCore
import Reconcilers
import TaggingAPI
import Testing

@Suite("Operator tagging E2E")
struct OperatorTaggingE2ETests {
    static let estateSize = 1000

    @Test func discoveredEstateIsTaggedAndSuggestionsBecomeApprovalsAndARuleEditRetagsOnlyWhatItTouches() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "tagging", rbac: true) { env, ns in
            let operatorClient = try env.identities(in: ns).operatorClient
            let rules = try OperatorE2E.exampleRules(namespace: ns)
                + [OperatorE2E.applicationSuggestion(namespace: ns), OperatorE2E.databaseBackupPolicy(namespace: ns)]
            let ruleApi = Api<TaggingRule>(client: env.client, namespace: ns)
            for rule in rules { _ = try await ruleApi.create(rule) }

            let settings = OperatorE2E.settings(namespace: ns, identity: "tagger")
            try await RunningManager.with(client: operatorClient, settings: settings) { running in
                let jobs = Api<DiscoveryJob>(client: env.client, namespace: ns)
                _ = try await jobs.create(env.simulatedJob("estate", count: Self.estateSize, clouds: ["aws", "gcp", "azure"]))

                // Every resource discovered and evaluated.
                #expect(try await env.eventually(timeout: OperatorE2E.settleBound) { try await jobs.get("estate").status?.lastRun?.created == Self.estateSize })
                #expect(try await env.eventually(timeout: OperatorE2E.settleBound) {
                    let all = try await env.cloudResources(ns)
                    return all.count == Self.estateSize && all.allSatisfy { $0.status?.evaluatedAt != nil }
                }, "every resource evaluated")
                // Meanwhile the model is trained and retrained (the estate grows) and suggestions move: none
                // is listed twice, whenever one looks.
                for (group, listing) in try await OperatorE2E.listedSuggestions(env, ns) {
                    #expect(listing.duplicates == 0, "while the model catches up, \(group): a resource listed twice: \(listing.duplicated.prefix(5))")
                }

                // A fresh install gets its model soon after discovery (not a retrain interval later), and what
                // was evaluated before is evaluated again with it.
                #expect(try await env.eventually(timeout: OperatorE2E.settleBound) { try await running.modelCaughtUpAndSettled() },
                        "the model caught up with the estate and the tagger settled")
                let model = try #require(running.manager.model.current)

                // What the rules and normalised native tags decide, computed offline with the same inference
                // and the operator's model (its vocabulary spells normalised values).
                let inferencer = TagInferencer(
                    config: settings.tagging.inference, rules: RuleSet.compile(rules, tables: settings.tagging.inference.normalisation).0,
                    model: model)
                var resources = try await env.cloudResources(ns)
                var expectedSuggestions: [String: Set<String>] = [:]  // "key=value rule" -> resource names
                var appliedChecked = 0
                for r in resources {
                    let result = inferencer.infer(InferenceInput(spec: r.spec))
                    let tags = Dictionary((r.status?.virtualTags ?? []).map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                    for t in result.applied where t.source == .rule || t.source == .native {
                        #expect(tags[t.key]?.value == t.value && tags[t.key]?.source == t.source,
                                "\(r.name): \(t.key) should be \(t.value) from \(t.source), is \(String(describing: tags[t.key]))")
                        appliedChecked += 1
                    }
                    for t in result.suggested where t.source == .rule {
                        expectedSuggestions["\(t.key)=\(t.value) \(t.rule ?? "")", default: []].insert(r.name)
                    }
                    #expect(r.status?.conditions?.contains { $0.type == VTag.ConditionType.compliant } == true)
                    #expect(r.status?.tagCount == r.status?.virtualTags?.count)
                }
                #expect(appliedChecked > Self.estateSize, "the estate gives the rules and native tags plenty to apply")
                try #require(!expectedSuggestions.isEmpty, "the Suggest rule matches part of the estate")

                // Each rule suggestion is listed once in its group's approvals; no approval overflows.
                #expect(try await env.eventually {
                    let listed = try await OperatorE2E.listedSuggestions(env, ns)
                    return expectedSuggestions.allSatisfy { group, names in names.isSubset(of: listed[group]?.names ?? []) }
                }, "every rule suggestion became a TagApproval entry")
                let approvals = try await Api<TagApproval>(client: env.client, namespace: ns).listAll().items
                for a in approvals {
                    #expect(a.spec.resources.count <= TagApproval.maxResources)
                    #expect(a.spec.resourceCount == a.spec.resources.count)
                    #expect(a.metadata.labels?[VTag.Label.approvalGroup] != nil)
                }
                for (group, listing) in try await OperatorE2E.listedSuggestions(env, ns) {
                    #expect(listing.duplicates == 0, "\(group): a resource listed twice: \(listing.duplicated.prefix(5))")
                }
                // The model's suggestions reached people too.
                #expect(approvals.contains { $0.spec.source == .model }, "the model suggests values for review")

                // Edit one rule: exactly the resources whose value changes are rewritten. First let the
                // tagger settle (resources evaluated before their parent look again once it is tagged).
                #expect(try await env.eventually { try await running.settled() }, "the tagger settles")
                resources = try await env.cloudResources(ns)
                let before = Dictionary(uniqueKeysWithValues: resources.map { ($0.name, $0.metadata.resourceVersion ?? "") })
                var edited = try await ruleApi.get("database-backup-policy")
                edited.spec.tags = [RuleTag(key: "backup-policy", value: "hourly")]
                let newRules = rules.map { $0.name == edited.name ? edited : $0 }
                #expect(running.manager.model.version == model.version, "the model did not change meanwhile")
                let newInferencer = TagInferencer(
                    config: settings.tagging.inference, rules: RuleSet.compile(newRules, tables: settings.tagging.inference.normalisation).0,
                    model: model)
                // Resources inherit from the ones they are attached to, so the oracle infers with parents too.
                let oldTags = OperatorE2E.offline(resources, inferencer)
                let newTags = OperatorE2E.offline(resources, newInferencer)
                let touched = Set(resources.map(\.name).filter { oldTags[$0]?["backup-policy"] != newTags[$0]?["backup-policy"] })
                try #require(!touched.isEmpty && touched.count < Self.estateSize / 2, "the edit touches some resources, not most (\(touched.count))")
                _ = try await OperatorE2E.update(ruleApi, edited.name) { $0.spec = edited.spec }

                #expect(try await env.eventually {
                    resources = try await env.cloudResources(ns)
                    return resources.filter { touched.contains($0.name) }.allSatisfy { r in
                        r.status?.virtualTags?.first { $0.key == "backup-policy" }?.value == newTags[r.name]?["backup-policy"]
                    }
                }, "the touched resources carry the new value")
                // Give stray re-evaluations time to show, then compare versions: nothing else was written.
                try await Task.sleep(for: .seconds(3))
                resources = try await env.cloudResources(ns)
                let changed = Set(resources.filter { before[$0.name] != $0.metadata.resourceVersion }.map(\.name))
                #expect(changed == touched, "rewritten: \(changed.subtracting(touched).sorted().prefix(5)) not touched; \(touched.subtracting(changed).sorted().prefix(5)) missed")
                if let server = env.server {
                    // On the test server the request log says the same: status writes only for the touched ones.
                    let statusWrites = Set(server.requests().filter {
                        $0.resource == "cloudresources" && $0.subresource == "status" && $0.namespace == ns && $0.verb == "patch"
                    }.compactMap(\.name))
                    #expect(touched.isSubset(of: statusWrites))
                }
            }
        }
    }
}

extension OperatorE2E {
    /// The TaggingRules of examples/taggingrules.yaml, in `namespace`.
    static func exampleRules(namespace: String) throws -> [TaggingRule] {
        let url = URL(fileURLWithPath: E2EEnvironment.crdDirectory).deletingLastPathComponent().appendingPathComponent("examples/taggingrules.yaml")
        return try YAMLDocuments.parse(String(contentsOf: url, encoding: .utf8)).map { doc in
            var rule = try doc.decode(TaggingRule.self)
            rule.metadata.namespace = namespace
            return rule
        }
    }

    /// A Suggest rule over AWS instances named `<team>-<app>-...`: its tags go to people.
    static func applicationSuggestion(namespace: String) -> TaggingRule {
        TaggingRule(
            metadata: ObjectMeta(name: "application-from-name", namespace: namespace),
            spec: TaggingRuleSpec(
                priority: 10, mode: .suggest, confidence: 0.8,
                match: RuleMatch(providers: ["aws"], types: ["ec2:instance"], name: NameMatch(regex: "^(?<team>[a-z]+)-(?<app>[a-z]+)-.+$")),
                tags: [RuleTag(key: "application", value: "${name.app}")]))
    }

    /// Applied tags of every resource (name -> key -> value) as the tagger would decide them without a
    /// model: a first pass alone, then again with each resource's parent (by relation) from the first pass.
    static func offline(_ resources: [CloudResource], _ inferencer: TagInferencer) -> [String: [String: String]] {
        func applied(_ result: InferenceResult) -> [String: String] {
            Dictionary(result.applied.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        var byID: [String: (name: String?, tags: [String: String])] = [:]
        for r in resources { byID[r.spec.id] = (r.spec.name, applied(inferencer.infer(InferenceInput(spec: r.spec)))) }
        var out: [String: [String: String]] = [:]
        for r in resources {
            let result = inferencer.infer(InferenceInput(spec: r.spec)) { id in
                byID[id].map { RelatedResource(tags: $0.tags, name: $0.name) }
            }
            out[r.name] = applied(result)
        }
        return out
    }

    /// An Apply rule over AWS and GCP databases: a fixed policy tag.
    static func databaseBackupPolicy(namespace: String) -> TaggingRule {
        TaggingRule(
            metadata: ObjectMeta(name: "database-backup-policy", namespace: namespace),
            spec: TaggingRuleSpec(
                priority: 20, mode: .apply, match: RuleMatch(types: ["rds:db", "sql:instance"]),
                tags: [RuleTag(key: "backup-policy", value: "daily")]))
    }

    struct Listing {
        var names: Set<String> = []
        var duplicates = 0
        /// Where each resource is listed: approval name, source, phase (to say what a duplicate is).
        var places: [String: [String]] = [:]
        var duplicated: [String] { places.filter { $0.value.count > 1 }.map { "\($0.key) in \($0.value)" }.sorted() }
    }

    /// Resources listed in the namespace's TagApprovals, by "key=value rule".
    static func listedSuggestions(_ env: E2EEnvironment, _ ns: String) async throws -> [String: Listing] {
        var out: [String: Listing] = [:]
        for a in try await Api<TagApproval>(client: env.client, namespace: ns).listAll().items {
            let group = "\(a.spec.key)=\(a.spec.value) \(a.spec.rule ?? "")"
            for r in a.spec.resources {
                if !out[group, default: Listing()].names.insert(r.name).inserted { out[group]!.duplicates += 1 }
                out[group]!.places[r.name, default: []].append(
                    "\(a.name) (\(a.spec.source.rawValue), \(a.status?.phase?.rawValue ?? "no phase"))")
            }
        }
        return out
    }
}
