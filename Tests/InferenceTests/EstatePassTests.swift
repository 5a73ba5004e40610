import Testing
import TaggingAPI
@testable import Inference

/// The estate pass (`EstateInference.infer`) reuses work across resources (normalised native tags, reasons,
/// canonical values). These tests check it gives exactly what inferring each resource on its own gives, on an
/// estate that exercises every branch of the merge: manual and approved values, rejections, overrides,
/// losing rules, audits, every matcher operator, templates with missing references, odd spellings.
@Suite struct EstatePassTests {
    /// A seeded estate with the awkward cases mixed in.
    static func estate(_ count: Int, seed: UInt64) -> [InferenceInput] {
        var g = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next(_ n: Int) -> Int { g ^= g << 13; g ^= g >> 7; g ^= g << 17; return Int(g % UInt64(n)) }
        let envValues = ["prod", "Production", " PRD ", "stg", "staging", "dev", "qa", "", "Prödüction", "live"]
        let envKeys = ["Environment", "env", "Env", "stage", "environment"]
        let teamKeys = ["team", "Team", "owner_team", "Squad"]
        let types = [("aws", "ec2:instance"), ("aws", "ec2:volume"), ("aws", "rds:db"), ("gcp", "compute:instance"),
                     ("azure", "compute:virtualmachine")]
        var out: [InferenceInput] = []
        var lastInstance: String?
        for i in 0..<count {
            let team = next(6), (provider, type) = types[next(types.count)]
            let id = "\(provider)://\(type)/\(i)"
            let name: String? = next(10) == 0 ? nil : ["pay\(team)-api-prod-\(i)", "stg_app\(team)x_\(i)", "Ledger\(team)Dev\(i)"][next(3)]
            var tags: [String: String]? = nil
            if next(3) > 0 {
                var t: [String: String] = [:]
                if next(2) == 0 { t[envKeys[next(envKeys.count)]] = envValues[next(envValues.count)] }
                if next(2) == 0 { t[envKeys[next(envKeys.count)]] = envValues[next(envValues.count)] }  // a second env spelling
                if next(2) == 0 { t[teamKeys[next(teamKeys.count)]] = ["payments", "Payments", "ledger", "LEDGER", "paymnets"][next(5)] }
                if next(3) == 0 { t["CostCenter"] = "CC-\(team)" }
                if next(4) == 0 { t["Name"] = "free text \(i)" }
                tags = t
            }
            var manual: [String: String]? = nil
            if next(15) == 0 { manual = [["team", "env", "Owner"][next(3)]: ["mine", "", " spaced "][next(3)]] }
            var relations: [Relation]? = nil
            if type == "ec2:volume", let parent = lastInstance, next(4) > 0 { relations = [Relation(type: "AttachedTo", target: parent)] }
            if next(20) == 0 { relations = (relations ?? []) + [Relation(type: "InVPC", target: "aws://ec2:instance/\(next(i + 1))")] }
            if type == "ec2:instance" { lastInstance = id }
            let approved: [String: String] = next(12) == 0 ? ["owner": "approved\(team)@x"] : [:]
            let rejected: [RejectedTag] = next(8) == 0
                ? [RejectedTag(key: ["team", "env", "application"][next(3)], value: ["payments", "production", "api", "Staging"][next(4)])] : []
            out.append(InferenceInput(
                spec: CloudResourceSpec(
                    provider: provider, id: id, type: type, name: name, account: ["a1", "a2", nil][next(3)],
                    region: ["eu-west-1", "us-east-1", nil][next(3)], nativeTags: tags, relations: relations, manualTags: manual),
                approved: approved, rejected: rejected))
        }
        return out
    }

    static let rules: [TaggingRule] = [
        rule("by-name", priority: 3, match: RuleMatch(name: NameMatch(regex: "^(?<team>[a-z]+)[0-9]-(?<app>[a-z]+)-(?<env>[a-z]+)-")),
             tags: ["team": "${name.team}", "application": "${name.app}", "env": "${name.env}"]),
        rule("underscored", priority: 3, match: RuleMatch(name: NameMatch(regex: "^(?<env>[a-z]+)_(?<app>[a-z0-9]+)_")),
             tags: ["env": "${name.env}", "application": "${name.app}"], override: true),
        rule("same-priority-loser", priority: 3, match: RuleMatch(types: ["ec2:*"]), tags: ["application": "generic"]),
        rule("aws-team", priority: 1, match: RuleMatch(providers: ["aws"]), tags: ["team": "platform", "owner": "${tag.team}"]),
        rule("ledger-owner", priority: 2, match: RuleMatch(tags: [TagMatcher(key: "team", operator: .in, values: ["Ledger", "payments"])]),
             tags: ["owner": "owner-of-${tag.team}@x"]),
        rule("not-prod", priority: 2, match: RuleMatch(tags: [TagMatcher(key: "env", operator: .notIn, values: ["prod"])]),
             tags: ["cost-center": "CC-nonprod"]),
        rule("matches", priority: 0, mode: .suggest, confidence: 0.75,
             match: RuleMatch(tags: [TagMatcher(key: "Name", operator: .matches, values: ["^free text [0-9]*5$"])]),
             tags: ["application": "fives"]),
        rule("account-region", priority: 0, match: RuleMatch(accounts: ["a1"], regions: ["eu-west-1"]),
             tags: ["cost-center": "${account}-${region}", "env": "production"], override: true),
        rule("weak", priority: -1, confidence: 0.5, tags: ["owner": "nobody"]),
        rule("audit-no-env", mode: .audit, match: RuleMatch(tags: [TagMatcher(key: "env", operator: .doesNotExist)]),
             tags: ["env": "unknown"]),
        rule("audit-exists", mode: .audit, match: RuleMatch(types: ["compute:*"], tags: [TagMatcher(key: "team", operator: .exists)]),
             tags: ["team": "${tag.team}", "application": "${name}"]),
    ]

    @Test func estatePassEqualsInferringEachResourceAlone() throws {
        let (set, errors) = RuleSet.compile(Self.rules)
        try #require(errors.isEmpty, "\(errors)")
        let inputs = Self.estate(3000, seed: 11)
        let normaliser = TagNormaliser.learning(
            from: inputs.lazy.map(\.spec.nativeTags), tables: .default, requiredKeys: VTag.defaultRequiredKeys)
        let inferencer = TagInferencer(rules: set, vocabulary: normaliser.vocabulary)
        let estate = EstateInference.infer(inputs, inferencer: inferencer)

        var position: [String: Int] = [:]
        for (i, input) in inputs.enumerated() { position[input.spec.id] = i }
        var differences = 0
        for (i, input) in inputs.enumerated() {
            let alone = inferencer.infer(input) { id in
                position[id].map { RelatedResource(tags: inferencer.resolve(inputs[$0]).known, name: inputs[$0].spec.name) }
            }
            if alone != estate[i] {
                differences += 1
                if differences <= 3 { Issue.record("resource \(input.spec.id): estate \(estate[i]) != alone \(alone)") }
            }
        }
        #expect(differences == 0)
        // The estate really exercises the branches the shared work touches.
        let all = estate.flatMap(\.tags)
        #expect(all.contains { $0.source == .manual } && all.contains { $0.source == .approval })
        #expect(all.contains { $0.source == .inherited })
        #expect(all.contains { $0.reason.contains("won over") } && all.contains { $0.reason.contains("overrides native") })
        #expect(all.contains { $0.reason.contains("does not override native") })
        #expect(all.contains { $0.reason.contains("normalised to") } && all.contains { $0.source == .native && !$0.reason.contains("normalised") })
        #expect(estate.contains { !$0.audits.isEmpty })
        #expect(inputs.contains { !$0.rejected.isEmpty })
    }

    @Test func estatePassIsDeterministic() {
        let (set, _) = RuleSet.compile(Self.rules)
        let inputs = Self.estate(500, seed: 3)
        let inferencer = TagInferencer(rules: set)
        #expect(EstateInference.infer(inputs, inferencer: inferencer) == EstateInference.infer(inputs, inferencer: inferencer))
    }
}

extension EstatePassTests {
    /// Past its bound the memo stops remembering; what it gives must not change.
    @Test func aFullMemoGivesTheSameResults() {
        let (set, _) = RuleSet.compile(Self.rules)
        let inferencer = TagInferencer(rules: set)
        let small = inferencer.memo(limit: 3)
        var compared = 0
        for input in Self.estate(800, seed: 5) {
            let shared = inferencer.resolve(input, ruleCandidates: nil, memo: small)
            let alone = inferencer.resolve(input)
            #expect(shared.tags == alone.tags)
            #expect(shared.audits == alone.audits)
            #expect(shared.matchedRules == alone.matchedRules)
            compared += shared.tags.tags.count
        }
        #expect(compared > 1000)
    }
}
