import Foundation
import Testing
import TaggingAPI
@testable import Inference

/// The pieces the rule loop uses to be fast: they must never change what matches.
@Suite struct RuleLoopTests {
    /// The literal prefilter may only reject names the regex itself rejects.
    @Test func nameLiteralFilterRejectsOnlyNamesTheRegexRejects() throws {
        let patterns = [
            "^team7-(?<app>[a-z0-9]+)-(?<env>[a-z]+)-", "^(?<env>prod|stg|dev|qa)_app12x", "-api-[0-9]+$", "payments",
            "^(?<team>[a-z]+)-", "(?i)PAY", "^ledger|^billing", "ab+c", "x?yz-q",
        ]
        var rules = try patterns.enumerated().map { i, p in
            try CompiledRule(name: "r\(i)", spec: TaggingRuleSpec(match: RuleMatch(name: NameMatch(regex: p)), tags: [RuleTag(key: "k", value: "v")]),
                             tables: .default)
        }
        rules.append(try CompiledRule(name: "no-regex", spec: TaggingRuleSpec(tags: [RuleTag(key: "k", value: "v")]), tables: .default))
        let filter = NameLiteralFilter(rules)
        let names: [String?] = [
            nil, "", "team7-web-prod-1", "team17-web-prod-1", "team7", "prod_app12x_api_3", "prod_app1x_api_3", "stg_app12xx",
            "svc-api-12", "svc-api-", "my-payments-db", "PAYMENTS", "ledger-1", "billing", "abbbc", "ac", "yz-q", "xyz-q", "Zürich-payments",
        ]
        var rejected = 0
        for name in names {
            filter.withName(name) { check in
                for (i, rule) in rules.enumerated() where !check.admits(i) {
                    rejected += 1
                    #expect(name.flatMap { rule.nameRegex?.regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) } == nil,
                            "rule /\(rule.nameRegex?.pattern ?? "")/ rejected \(name ?? "nil") by its literal but the regex matches it")
                }
                #expect(check.admits(rules.count - 1), "a rule without a name regex is never rejected")
            }
        }
        #expect(rejected > 40)  // the filter does reject: names without the literal
        filter.withName("team7-web-prod-1") { #expect($0.admits(0)) }
        filter.withName("xprod_app12x") { #expect($0.admits(1)) }  // a literal inside the name
        filter.withName("team1-web-prod-1") { #expect(!$0.admits(0)) }
    }

    /// TagList behaves as a dictionary by key whose values are listed sorted by key.
    @Test func tagListIsASortedDictionary() {
        var g: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ n: Int) -> Int { g ^= g << 13; g ^= g >> 7; g ^= g << 17; return Int(g % UInt64(n)) }
        let keys = ["env", "team", "owner", "cost-center", "application", "a", "Z", "zz", "é"]
        var list = TagList()
        var model: [String: InferredTag] = [:]
        for step in 0..<2000 {
            let key = keys[next(keys.count)]
            if next(4) == 0 {
                list[key] = nil
                model[key] = nil
            } else {
                let tag = InferredTag(key: key, value: "v\(step)", confidence: 0.5, source: .rule, decision: .suggest, reason: "r")
                list[key] = tag
                model[key] = tag
            }
            #expect(list.tags == model.values.sorted { $0.key < $1.key })
            #expect(list[key] == model[key] && list.contains(key) == (model[key] != nil))
            #expect(list.decision(of: key) == model[key]?.decision && list.confidence(of: key) == model[key]?.confidence)
        }
    }
}
