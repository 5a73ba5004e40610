import KubeCore
import Testing
import TaggingAPI
@testable import Inference

func rule(_ name: String, priority: Int? = nil, mode: RuleMode? = nil, confidence: Double? = nil, match: RuleMatch? = nil,
          tags: [String: String], override: Bool? = nil) -> TaggingRule {
    TaggingRule(
        metadata: ObjectMeta(name: name, namespace: "default"),
        spec: TaggingRuleSpec(priority: priority, mode: mode, confidence: confidence, match: match,
                              tags: tags.sorted { $0.key < $1.key }.map { RuleTag(key: $0.key, value: $0.value) },
                              override: override))
}

func resource(_ id: String, type: String = "ec2:instance", name: String? = nil, provider: String = "aws",
              account: String? = "111111111111", region: String? = "eu-west-1", tags: [String: String]? = nil,
              relations: [Relation]? = nil, manual: [String: String]? = nil) -> CloudResourceSpec {
    CloudResourceSpec(provider: provider, id: id, type: type, name: name, account: account, region: region,
                      nativeTags: tags, relations: relations, manualTags: manual)
}

@Suite struct RuleSetTests {
    @Test func badRulesAreReportedAndOthersStillRun() {
        let (set, errors) = RuleSet.compile([
            rule("bad-regex", match: RuleMatch(name: NameMatch(regex: "([a-z")), tags: ["team": "x"]),
            rule("unknown-group", match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)-")), tags: ["team": "${name.squad}"]),
            rule("empty-key", tags: ["": "x"]),
            rule("unknown-ref", tags: ["team": "${nonsense}"]),
            rule("exists-with-values", match: RuleMatch(tags: [TagMatcher(key: "env", operator: .exists, values: ["a"])]), tags: ["team": "x"]),
            rule("good", match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)-")), tags: ["team": "${name.team}"]),
        ])
        #expect(set.rules.map(\.name) == ["good"])
        #expect(errors.map(\.rule) == ["default/bad-regex", "default/empty-key", "default/exists-with-values", "default/unknown-group", "default/unknown-ref"])
        let unknownGroup = errors.first { $0.rule == "default/unknown-group" }!
        #expect(unknownGroup.message.contains("no group \"squad\""))
        #expect(unknownGroup.message.contains("team"))
        #expect(errors.first { $0.rule == "default/bad-regex" }!.message.contains("does not compile"))

        let result = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-1", name: "payments-api-01")))
        #expect(result.tag("team")?.value == "payments")
        #expect(result.tag("team")?.source == .rule)
        #expect(result.tag("team")?.rule == "good")
    }

    @Test func candidatesFollowProviderAndTypeIndex() {
        let (set, errors) = RuleSet.compile([
            rule("ec2-any", match: RuleMatch(providers: ["aws"], types: ["ec2:*"]), tags: ["a": "1"]),
            rule("volumes", match: RuleMatch(types: ["ec2:volume"]), tags: ["b": "1"]),
            rule("gcp", match: RuleMatch(providers: ["gcp"]), tags: ["c": "1"]),
            rule("all", tags: ["d": "1"]),
        ])
        #expect(errors.isEmpty)
        func names(_ p: String, _ t: String) -> [String] { set.candidates(provider: p, type: t).map { set.rules[$0].name }.sorted() }
        #expect(names("aws", "ec2:volume") == ["all", "ec2-any", "volumes"])
        #expect(names("aws", "ec2:instance") == ["all", "ec2-any"])
        #expect(names("aws", "rds:db") == ["all"])
        #expect(names("gcp", "ec2:volume") == ["all", "gcp", "volumes"])
    }

    @Test func priorityWinsAndTiesBreakByNameNamingTheLoser() {
        let (set, _) = RuleSet.compile([
            rule("zeta", priority: 5, tags: ["team": "zeta-team"]),
            rule("alpha", priority: 5, tags: ["team": "alpha-team"]),
            rule("low", priority: 1, tags: ["team": "low-team"]),
        ])
        let t = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-1"))).tag("team")!
        #expect(t.value == "alpha-team")
        #expect(t.rule == "alpha")
        #expect(t.reason.contains("won over zeta"))
        #expect(t.reason.contains("low"))
    }

    @Test func ruleFillsOnlyMissingNativeUnlessOverride() {
        let native = resource("i-1", tags: ["Team": "core"])
        let (fill, _) = RuleSet.compile([rule("fill", tags: ["team": "payments"])])
        let kept = TagInferencer(rules: fill).infer(InferenceInput(spec: native)).tag("team")!
        #expect(kept.value == "core")
        #expect(kept.source == .native)
        #expect(kept.reason.contains("does not override"))

        let (over, _) = RuleSet.compile([rule("force", tags: ["team": "payments"], override: true)])
        let replaced = TagInferencer(rules: over).infer(InferenceInput(spec: native)).tag("team")!
        #expect(replaced.value == "payments")
        #expect(replaced.source == .rule)
        #expect(replaced.reason.contains("overrides native Team=core"))
    }

    @Test func modesDecide() {
        let (set, _) = RuleSet.compile([
            rule("apply-sure", mode: .apply, confidence: 0.95, tags: ["env": "production"]),
            rule("apply-unsure", mode: .apply, confidence: 0.8, tags: ["team": "payments"]),
            rule("suggest", mode: .suggest, confidence: 1.0, tags: ["owner": "a@example.com"]),
            rule("too-weak", mode: .suggest, confidence: 0.5, tags: ["application": "ledger"]),
            rule("audit", mode: .audit, tags: ["cost-center": "42"]),
        ])
        let r = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-1")))
        #expect(r.tag("env")?.decision == .apply)
        #expect(r.tag("team")?.decision == .suggest)
        #expect(r.tag("owner")?.decision == .suggest)
        #expect(r.tag("application") == nil)
        #expect(r.tag("cost-center") == nil)
        #expect(r.audits.map(\.key) == ["cost-center"])
        #expect(r.audits.first?.decision == .audit)
        #expect(r.missingKeys == ["team", "owner", "cost-center", "application"])
        #expect(r.matchedRules == ["apply-sure", "apply-unsure", "audit", "suggest", "too-weak"])
    }

    @Test func matchersSeeNativeAndEarlierRuleTags() {
        let (set, errors) = RuleSet.compile([
            rule("team-from-name", priority: 10, match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)-(?<app>[a-z]+)")),
                 tags: ["team": "${name.team}", "application": "${name.app}"]),
            rule("cc-for-payments", priority: 5, match: RuleMatch(tags: [TagMatcher(key: "team", operator: .in, values: ["payments"])]),
                 tags: ["cost-center": "CC-${tag.team}"]),
            rule("prod-only", priority: 5, match: RuleMatch(tags: [TagMatcher(key: "env", operator: .in, values: ["PRD"])]),
                 tags: ["owner": "oncall@example.com"]),
            rule("no-env", match: RuleMatch(tags: [TagMatcher(key: "env", operator: .doesNotExist)]), tags: ["tier": "unknown"]),
            rule("matches", match: RuleMatch(tags: [TagMatcher(key: "Environment", operator: .matches, values: ["^prod"])]),
                 tags: ["x": "${account}/${region}/${type}/${provider}"]),
            rule("notin", match: RuleMatch(tags: [TagMatcher(key: "env", operator: .notIn, values: ["development"])]), tags: ["y": "1"]),
        ])
        #expect(errors.isEmpty)
        let r = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-1", name: "payments-ledger-01", tags: ["Environment": "prod"])))
        #expect(r.tag("team")?.value == "payments")
        #expect(r.tag("application")?.value == "ledger")
        #expect(r.tag("cost-center")?.value == "CC-payments")
        // "PRD" and native "prod" both canonicalise to production.
        #expect(r.tag("owner")?.value == "oncall@example.com")
        #expect(r.tag("tier") == nil)
        #expect(r.tag("x")?.value == "111111111111/eu-west-1/ec2:instance/aws")
        #expect(r.tag("y")?.value == "1")
        #expect(r.tag("env")?.value == "production")

        let other = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-2", name: "ops-tools-01")))
        #expect(other.tag("cost-center") == nil)
        #expect(other.tag("tier")?.value == "unknown")
        #expect(other.tag("y")?.value == "1")
    }

    @Test func templateWithMissingTagSkipsOnlyThatTag() {
        let (set, _) = RuleSet.compile([rule("r", tags: ["owner": "${tag.contact}", "env": "production"])])
        let r = TagInferencer(rules: set).infer(InferenceInput(spec: resource("i-1")))
        #expect(r.tag("owner") == nil)
        #expect(r.tag("env")?.value == "production")
    }

    @Test func tagValueIndexFollowsTagsEarlierRulesChange() {
        // Rules that need team=payments are indexed by that value; an override by a higher-priority rule
        // must admit (or exclude) them as if every rule were checked in turn.
        let (set, errors) = RuleSet.compile([
            rule("force-team", priority: 10, match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)-")),
                 tags: ["team": "${name.team}"], override: true),
            rule("cc-payments", priority: 5, match: RuleMatch(tags: [TagMatcher(key: "team", operator: .in, values: ["Payments", "billing"])]),
                 tags: ["cost-center": "CC-1"]),
            rule("cc-ledger", priority: 5, match: RuleMatch(tags: [TagMatcher(key: "Team", operator: .in, values: ["ledger"])]),
                 tags: ["owner": "ledger@example.com"]),
        ])
        #expect(errors.isEmpty)
        let inf = TagInferencer(rules: set)
        // Native ledger, the name says payments: the override admits cc-payments and excludes cc-ledger.
        let a = inf.infer(InferenceInput(spec: resource("i-1", name: "payments-api", tags: ["team": "ledger"])))
        #expect(a.tag("team")?.value == "payments")
        #expect(a.tag("cost-center")?.value == "CC-1")
        #expect(a.tag("owner") == nil)
        #expect(a.matchedRules == ["cc-payments", "force-team"])
        // Native billing (an indexed value), no override: cc-payments matches on the native value.
        let b = inf.infer(InferenceInput(spec: resource("i-2", name: "x", tags: ["Team": "BILLING"])))
        #expect(b.tag("cost-center")?.value == "CC-1")
        #expect(b.matchedRules == ["cc-payments"])
        // Native ledger, a name the regex does not match: only cc-ledger.
        let c = inf.infer(InferenceInput(spec: resource("i-3", name: "x", tags: ["squad": "ledger"])))
        #expect(c.matchedRules == ["cc-ledger"])
        #expect(c.tag("owner")?.value == "ledger@example.com")
    }

    /// A value an earlier rule set is normalised before later rules match on it, as a native value is:
    /// `env=prod` from the name matches `env In [production]`.
    @Test func laterRulesSeeNormalisedValuesOfEarlierRules() {
        let (set, errors) = RuleSet.compile([
            rule("env-from-name", priority: 10, match: RuleMatch(name: NameMatch(regex: "^[a-z]+-(?<env>prod|dev)-")),
                 tags: ["env": "${name.env}"]),
            rule("prod-cost-center", priority: 5, match: RuleMatch(tags: [TagMatcher(key: "env", operator: .in, values: ["production"])]),
                 tags: ["cost-center": "cc-prod"]),
        ])
        #expect(errors.isEmpty)
        let inf = TagInferencer(rules: set)
        let fromRule = inf.infer(InferenceInput(spec: resource("i-1", name: "payments-prod-api", tags: [:])))
        #expect(fromRule.tag("env")?.value == "production")
        #expect(fromRule.tag("cost-center")?.value == "cc-prod")
        let native = inf.infer(InferenceInput(spec: resource("i-2", name: "x", tags: ["Environment": "prod"])))
        #expect(native.tag("cost-center")?.value == "cc-prod", "the same rule on a native value")
        let dev = inf.infer(InferenceInput(spec: resource("i-3", name: "payments-dev-api", tags: [:])))
        #expect(dev.tag("cost-center") == nil)
    }
}
