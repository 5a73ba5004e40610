import Discovery
import Foundation
import Inference
import TaggingAPI

/// What `plan` found: every resource with its inferred tags, and the figures over the estate.
struct PlanReport {
    struct Planned {
        var spec: CloudResourceSpec
        var result: InferenceResult
    }

    var source: String
    var resources: [Planned]
    var ruleCount: Int
    var ruleErrors: [String]
    var discoveryErrors: [String]
    var modelVersion: String?
    var config: InferenceConfig
    /// With `--focus`: the bill's allocated cost before and after the rules.
    var costShift: CostShift?

    /// Learns the model from the estate itself (as the operator learns from its CloudResources), then
    /// infers every resource with the rules and that model.
    static func make(source: String, specs: [CloudResourceSpec], rules: [TaggingRule], config: InferenceConfig,
                     discoveryErrors: [String]) -> PlanReport {
        let (ruleSet, ruleErrors) = RuleSet.compile(rules, tables: config.normalisation)
        let inputs = specs.map { InferenceInput(spec: $0) }
        let model = inputs.isEmpty ? nil : EstateInference.learn(inputs, config: config, rules: ruleSet)
        let inferencer = TagInferencer(config: config, rules: ruleSet, model: model)
        let results = EstateInference.infer(inputs, inferencer: inferencer)
        return PlanReport(
            source: source, resources: zip(specs, results).map { Planned(spec: $0, result: $1) }, ruleCount: rules.count,
            ruleErrors: ruleErrors.map(\.description), discoveryErrors: discoveryErrors, modelVersion: model?.version,
            config: config)
    }

    // MARK: Figures

    struct KeyCoverage {
        var key: String
        var applied: Int
        var suggested: Int
        var missing: Int
        var coverage: Double
    }

    var requiredKeys: [String] { config.requiredKeys }

    func count(_ decision: TagDecision) -> Int { resources.reduce(0) { $0 + $1.result.tags.count { $0.decision == decision } } }
    var audited: Int { resources.reduce(0) { $0 + $1.result.audits.count } }
    var compliant: Int { resources.count { $0.result.missingKeys.isEmpty } }

    var appliedBySource: [String: Int] {
        var out: [String: Int] = [:]
        for r in resources { for t in r.result.applied { out[t.source.rawValue, default: 0] += 1 } }
        return out
    }

    var coverage: [KeyCoverage] {
        requiredKeys.map { key in
            var applied = 0, suggested = 0
            for r in resources {
                switch r.result.tag(key)?.decision {
                case .apply?: applied += 1
                case .suggest?: suggested += 1
                default: break
                }
            }
            let n = resources.count
            return KeyCoverage(key: key, applied: applied, suggested: suggested, missing: n - applied,
                               coverage: n == 0 ? 0 : Double(applied) / Double(n))
        }
    }

    /// Applied values of required keys over (resources x required keys): what `--fail-under` gates on.
    var overallCoverage: Double {
        let c = coverage
        guard !c.isEmpty, !resources.isEmpty else { return 0 }
        return Double(c.reduce(0) { $0 + $1.applied }) / Double(c.count * resources.count)
    }

    // MARK: JSON

    struct JSONTag: Encodable {
        var key: String
        var value: String
        var confidence: Rounded
        var source: String
        var decision: String
        var reason: String
    }

    struct JSONResource: Encodable {
        var id: String
        var name: String?
        var type: String
        var provider: String
        var account: String?
        var region: String?
        var nativeTags: [String: String]
        var tags: [JSONTag]
    }

    struct JSONCoverage: Encodable {
        var applied: Int
        var suggested: Int
        var missing: Int
        var coverage: Rounded
    }

    struct JSONSummary: Encodable {
        var source: String
        var resources: Int
        var rules: Int
        var ruleErrors: [String]
        var discoveryErrors: [String]
        var modelVersion: String?
        var thresholds: Thresholds
        var requiredKeys: [String]
        var applied: Int
        var suggested: Int
        var discarded: Int
        var audited: Int
        var appliedBySource: [String: Int]
        var compliant: Int
        var coverage: [String: JSONCoverage]
        var overallCoverage: Rounded
    }

    struct JSONDocument: Encodable {
        var summary: JSONSummary
        var cost: CostShift.JSONDocument?
        var resources: [JSONResource]
    }

    var summary: JSONSummary {
        JSONSummary(
            source: source, resources: resources.count, rules: ruleCount, ruleErrors: ruleErrors, discoveryErrors: discoveryErrors,
            modelVersion: modelVersion, thresholds: config.thresholds, requiredKeys: requiredKeys,
            applied: count(.apply), suggested: count(.suggest), discarded: count(.discard), audited: audited,
            appliedBySource: appliedBySource, compliant: compliant,
            coverage: Dictionary(uniqueKeysWithValues: coverage.map {
                ($0.key, JSONCoverage(applied: $0.applied, suggested: $0.suggested, missing: $0.missing, coverage: Rounded($0.coverage)))
            }),
            overallCoverage: Rounded(overallCoverage))
    }

    /// `{"summary": {...}, "resources": [{id, name, type, provider, account, region, nativeTags, tags: [...]}]}`;
    /// tags are the applied and suggested ones (discarded values are only counted).
    func json() throws -> String {
        let doc = JSONDocument(summary: summary, cost: costShift?.document, resources: resources.map { r in
            JSONResource(
                id: r.spec.id, name: r.spec.name, type: r.spec.type, provider: r.spec.provider, account: r.spec.account,
                region: r.spec.region, nativeTags: r.spec.nativeTags ?? [:],
                tags: r.result.tags.filter { $0.decision == .apply || $0.decision == .suggest }.map {
                    JSONTag(key: $0.key, value: $0.value, confidence: Rounded($0.confidence), source: $0.source.rawValue,
                            decision: $0.decision.rawValue, reason: $0.reason)
                })
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
    }

    // MARK: CSV

    /// The inventory format with the applied values as `tag:KEY` columns (what the estate would look like).
    func csv() -> String {
        InventoryWriter.csv(resources.map { r in
            var tags: [String: String] = [:]
            for t in r.result.applied { tags[t.key] = t.value }
            return InventoryRecord(spec: r.spec, tags: tags)
        })
    }

    // MARK: Table

    /// The report for a person: what the plan is over, the decisions in numbers, coverage per required
    /// key, then the first `show` resources (nil: all) with each value, its confidence, source and reason.
    func table(show: Int?) -> String {
        var out = ""
        let t = config.thresholds
        out += "Plan for \(resources.count) resources from \(source).\n"
        out += "Rules: \(ruleCount) loaded" + (ruleErrors.isEmpty ? "" : ", \(ruleErrors.count) unusable (left out, see below)")
        out += ". Model: \(modelVersion.map { "\($0), learned from these resources' known tags" } ?? "none (no resources)").\n"
        out += "Thresholds: apply at confidence >= \(Format.confidence(t.autoApply)), suggest to a person at >= \(Format.confidence(t.suggest)), discard below.\n"
        for e in ruleErrors { out += "  unusable rule: \(e)\n" }
        if !discoveryErrors.isEmpty {
            out += "Discovery problems (\(discoveryErrors.count), those parts left out):\n"
            for e in discoveryErrors.prefix(10) { out += "  \(e)\n" }
            if discoveryErrors.count > 10 { out += "  ... and \(discoveryErrors.count - 10) more\n" }
        }
        out += "\n"

        let bySource = appliedBySource.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        var summary = TextTable.plain(columns: 3, rightAligned: [1])
        summary.rows = [
            ["would apply", "\(count(.apply))", "tags" + (bySource.isEmpty ? "" : " (\(bySource))")],
            ["would suggest", "\(count(.suggest))", "tags, each sent to a person as a TagApproval"],
            ["discarded", "\(count(.discard))", "values below \(Format.confidence(t.suggest)) confidence, shown to no one"],
        ]
        if audited > 0 { summary.rows.append(["audit only", "\(audited)", "values Audit rules would set (reported, never applied)"]) }
        let pct = resources.isEmpty ? "" : " (\(Format.percent(Double(compliant) / Double(resources.count))))"
        summary.rows.append(["compliant", "\(compliant)", "of \(resources.count) resources\(pct) would have every required key"])
        out += summary.render(indent: "  ")
        out += "\n"

        out += "Coverage of required keys (resources with an applied value):\n"
        var cov = TextTable(["KEY", "APPLIED", "COVERAGE", "SUGGESTED", "MISSING"], rightAligned: [1, 2, 3, 4])
        for c in coverage {
            cov.add([c.key, "\(c.applied)", Format.percent(c.coverage), "\(c.suggested)", "\(c.missing)"])
        }
        cov.add(["all keys", "", Format.percent(overallCoverage), "", ""])
        out += cov.render(indent: "  ")
        if let costShift { out += "\n" + costShift.table() }

        guard !resources.isEmpty else { return out }
        let shown = show.map { min($0, resources.count) } ?? resources.count
        out += "\n"
        if shown < resources.count {
            out += "Resources (the first \(shown) of \(resources.count), by provider and id; --show all lists every one, -o json gives everything):\n"
        } else {
            out += "Resources (\(resources.count), by provider and id):\n"
        }
        out += "Each line: decision, key=value, confidence, source, reason; missing = required keys left without an applied value.\n"
        for r in resources.prefix(shown) { out += Self.render(r) }
        if shown < resources.count { out += "... \(resources.count - shown) more resources not shown (--show all)\n" }
        return out
    }

    static func render(_ r: Planned) -> String {
        let s = r.spec
        var head = "\(s.provider) \(s.type) \(s.name ?? "(no name)")  \(s.id)"
        let place = [s.account.map { "account \($0)" }, s.region.map { "region \($0)" }].compactMap { $0 }
        if !place.isEmpty { head += "  " + place.joined(separator: " ") }
        var out = head + "\n"
        var rows = TextTable.plain(columns: 5, rightAligned: [2])
        for t in r.result.tags + r.result.audits {
            rows.add([t.decision.rawValue, Format.truncate("\(t.key)=\(t.value)", 48), Format.confidence(t.confidence),
                      t.source.rawValue, Format.truncate(t.reason, 160)])
        }
        if !r.result.missingKeys.isEmpty { rows.add(["missing", r.result.missingKeys.joined(separator: ", "), "", "", ""]) }
        if rows.rows.isEmpty { rows.add(["(nothing inferred)", "", "", "", ""]) }
        out += rows.render(indent: "  ")
        return out
    }
}
