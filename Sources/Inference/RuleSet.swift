import Foundation
import TaggingAPI

/// A TaggingRule that cannot be used, and why, worded for the person who wrote it.
public struct RuleError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The rule's name (namespace/name when it has a namespace).
    public var rule: String
    public var message: String

    public init(rule: String, message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "rule \(rule): \(message)" }
}

/// One tag a rule set for a resource.
public struct RuleTagHit: Sendable, Hashable {
    public var key: String
    public var value: String
    public var rule: String
    public var priority: Int
    public var mode: RuleMode
    public var confidence: Double
    public var override: Bool
    /// How the value came about, e.g. `name group team of "pay-api-01"` or `fixed value`.
    public var origin: String
}

/// The namespace's TaggingRules, compiled once: regexes built, templates parsed, and indexed by
/// provider and type so a resource is checked only against rules that can match it.
/// Rules are kept in decision order: higher priority first, then by name (deterministic ties).
public struct RuleSet: Sendable {
    public let rules: [CompiledRule]
    /// provider -> exact type -> rule positions (rules naming exact types).
    private let byExactType: [String: [String: [Int]]]
    /// provider -> (type prefix, rule position) for `ec2:*` style types.
    private let byTypePrefix: [String: [(prefix: String, rule: Int)]]
    /// provider -> rules with no type constraint.
    private let byProvider: [String: [Int]]
    /// Rules with neither a provider nor a type constraint, by account when they name accounts.
    private let unconstrained: [Int]
    private let byAccount: [String: [Int]]
    /// Rules with a type constraint but no provider constraint, by exact type / prefix.
    private let anyProviderExact: [String: [Int]]
    private let anyProviderPrefix: [(prefix: String, rule: Int)]
    /// Rules that need a tag value (match.tags In), by value.
    let tagIndex: TagValueIndex

    public static let empty = RuleSet(compiled: [])

    /// Compiles `rules`; a rule that cannot compile is left out and reported, the others still run.
    public static func compile(_ rules: [TaggingRule], tables: NormalisationTables = .default) -> (RuleSet, [RuleError]) {
        var compiled: [CompiledRule] = []
        var errors: [RuleError] = []
        for rule in rules {
            let name = rule.metadata.namespace.map { "\($0)/\(rule.metadata.name ?? "")" } ?? (rule.metadata.name ?? "")
            do {
                compiled.append(try CompiledRule(name: rule.metadata.name ?? "", spec: rule.spec, tables: tables))
            } catch {
                errors.append(RuleError(rule: name, message: error.message))
            }
        }
        return (RuleSet(compiled: compiled), errors.sorted { $0.rule < $1.rule })
    }

    init(compiled: [CompiledRule]) {
        let ordered = compiled.sorted { $0.priority != $1.priority ? $0.priority > $1.priority : $0.name < $1.name }
        rules = ordered
        var exact: [String: [String: [Int]]] = [:], prefix: [String: [(String, Int)]] = [:]
        var byProvider: [String: [Int]] = [:], unconstrained: [Int] = [], byAccount: [String: [Int]] = [:]
        var anyExact: [String: [Int]] = [:], anyPrefix: [(String, Int)] = []
        for (i, r) in ordered.enumerated() {
            switch (r.providers, r.types) {
            case (nil, nil):
                if let accounts = r.accounts { for a in accounts { byAccount[a, default: []].append(i) } } else { unconstrained.append(i) }
            case (let ps?, nil): for p in ps { byProvider[p, default: []].append(i) }
            case (nil, let ts?):
                for t in ts {
                    if t.hasSuffix("*") { anyPrefix.append((String(t.dropLast()), i)) } else { anyExact[t, default: []].append(i) }
                }
            case (let ps?, let ts?):
                for p in ps {
                    for t in ts {
                        if t.hasSuffix("*") { prefix[p, default: []].append((String(t.dropLast()), i)) }
                        else { exact[p, default: [:]][t, default: []].append(i) }
                    }
                }
            }
        }
        byExactType = exact
        byTypePrefix = prefix.mapValues { $0.map { (prefix: $0.0, rule: $0.1) } }
        self.byProvider = byProvider
        self.unconstrained = unconstrained
        self.byAccount = byAccount
        anyProviderExact = anyExact
        anyProviderPrefix = anyPrefix.map { (prefix: $0.0, rule: $0.1) }
        tagIndex = TagValueIndex(ordered)
    }

    /// Positions (in decision order) of the rules whose provider, type and account constraints admit the
    /// resource. Callers evaluating many resources cache it per (provider, type, account).
    public func candidates(provider: String, type: String, account: String? = nil) -> [Int] {
        var out: [Int] = unconstrained
        if let account, let l = byAccount[account] { out += l }
        if let l = byProvider[provider] { out += l }
        if let l = byExactType[provider]?[type] { out += l }
        if let l = anyProviderExact[type] { out += l }
        if let l = byTypePrefix[provider] { for e in l where type.hasPrefix(e.prefix) { out.append(e.rule) } }
        for e in anyProviderPrefix where type.hasPrefix(e.prefix) { out.append(e.rule) }
        out.sort()
        // A rule listed under two matching types appears twice.
        var last = -1
        out.removeAll { r in defer { last = r }; return r == last }
        // Exact static filter, so `match` need not repeat it.
        return out.filter { rules[$0].admits(provider: provider, type: type, account: account) }
    }

    /// Evaluates the candidate rules on a resource in decision order. Tag matchers see `tags` (normalised
    /// native and other known tags) plus the tags earlier (higher-priority) Apply/Suggest rules set.
    /// Every rule that matched is returned with its tags, including losers and Audit rules, so the merge
    /// can name them. `canonical` normalises a value a rule set (key, value) before later rules see it, so
    /// they compare it as they compare native values (`prod` set by a rule matches `In [production]`).
    public func evaluate(
        _ spec: CloudResourceSpec, tags: [String: String], rawNative: [String: String]? = nil, candidates: [Int]? = nil,
        canonical: ((String, String) -> String)? = nil
    ) -> [(rule: Int, hits: [RuleTagHit], skipped: [String])] {
        let positions = candidates ?? self.candidates(provider: spec.provider, type: spec.type, account: spec.account)
        guard !positions.isEmpty else { return [] }
        var view = tags
        var setByRule = Set<String>()
        var out: [(rule: Int, hits: [RuleTagHit], skipped: [String])] = []
        let index = tagIndex
        var admitted = index.isEmpty ? .empty : index.admitted(tags: view, rawNative: rawNative)
        for i in positions {
            if !index.isEmpty, index.excludes(i, admitted: admitted) { continue }
            let rule = rules[i]
            guard let m = rule.match(spec, tags: view, rawNative: rawNative, admitted: true) else { continue }
            var hits: [RuleTagHit] = []
            var skipped: [String] = []
            for t in rule.tags {
                switch t.template.render(spec: spec, groups: m, tags: view, rawNative: rawNative) {
                case .value(let v, let origin):
                    hits.append(RuleTagHit(
                        key: t.key, value: v, rule: rule.name, priority: rule.priority, mode: rule.mode,
                        confidence: rule.confidence, override: rule.override, origin: origin))
                case .missing(let what):
                    skipped.append("\(t.key): \(what)")
                }
            }
            if rule.mode != .audit {
                var indexedKeyChanged = false
                for h in hits where !setByRule.contains(h.key) && (view[h.key] == nil || h.override) {
                    view[h.key] = canonical?(h.key, h.value) ?? h.value
                    setByRule.insert(h.key)
                    if index.keys.contains(h.key) { indexedKeyChanged = true }
                }
                // A tag this rule set can admit (or exclude) later rules that match on it.
                if indexedKeyChanged { admitted = index.admitted(tags: view, rawNative: rawNative) }
            }
            out.append((i, hits, skipped))
        }
        return out
    }
}
