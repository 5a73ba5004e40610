import Foundation
import TaggingAPI

/// One tag a matched rule sets on a resource: the rule (its position in decision order), which of its
/// tags, and the value in canonical form. Small, so a resource's hits go into one reused buffer.
struct RuleHit {
    var rule: Int
    var tag: Int
    var key: String
    var value: String
    /// The hit's value went into the view later rules match on (the first Apply/Suggest rule to set a key
    /// sets it, and only where the resource has no value or the rule overrides).
    var inView = false
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
    /// Rules whose name regex requires some text, checked on the name's bytes before the rule itself.
    let nameLiterals: NameLiteralFilter
    /// Each rule's rank by name, so matched rules are listed by name with an integer sort.
    private let nameRank: [Int]

    public static let empty = RuleSet(compiled: [])

    /// Compiles `rules`; a rule that cannot compile is left out and reported, the others still run.
    public static func compile(_ rules: [TaggingRule], tables: NormalisationTables = .default) -> (RuleSet, [InferenceError]) {
        var compiled: [CompiledRule] = []
        var errors: [InferenceError] = []
        for rule in rules {
            let name = rule.metadata.namespace.map { "\($0)/\(rule.metadata.name ?? "")" } ?? (rule.metadata.name ?? "")
            do {
                compiled.append(try CompiledRule(name: rule.metadata.name ?? "", spec: rule.spec, tables: tables))
            } catch {
                errors.append(InferenceError(rule: name, message: error.message))
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
        nameLiterals = NameLiteralFilter(ordered)
        var rank = [Int](repeating: 0, count: ordered.count)
        for (r, i) in ordered.indices.sorted(by: { ordered[$0].name < ordered[$1].name }).enumerated() { rank[i] = r }
        nameRank = rank
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

    /// The names of the rules at `positions`, sorted.
    func names(_ positions: [Int]) -> [String] {
        let rank = nameRank, rules = self.rules  // captured alone: capturing self would copy the whole set
        if positions.count <= 1 { return positions.map { rules[$0].name } }
        return positions.sorted { rank[$0] < rank[$1] }.map { rules[$0].name }
    }

    /// Evaluates the candidate rules on a resource in decision order; `positions` come from `candidates`,
    /// which already applied the provider, type and account constraints. Tag matchers see `view` (normalised
    /// native and other known tags), to which the tags Apply/Suggest rules set are added as they match, so
    /// lower-priority rules can match on them. Every rule that matched goes into `matched` and every tag
    /// it set into `hits` (losers and Audit rules too, so the merge can name them). `canonical` gives the
    /// canonical form of a value for a key, the form hits carry and later rules compare (`prod` set by a
    /// rule matches `In [production]`).
    func evaluate(
        _ spec: CloudResourceSpec, view: inout [String: String], rawNative: [String: String]?, candidates positions: [Int],
        canonical: (_ key: String, _ value: String) -> String, matched: inout [Int], hits: inout [RuleHit]
    ) {
        let index = tagIndex
        var admitted = index.isEmpty ? .empty : index.admitted(tags: view, rawNative: rawNative)
        // Hits from this position on are this resource's; a key an earlier rule set stays as it set it.
        let firstHit = hits.count
        let name = spec.name, region = spec.region
        let rules = self.rules  // the closure captures the list, not a copy of the whole set
        nameLiterals.withName(name) { literals in
            for i in positions {
                if !index.isEmpty, index.excludes(i, admitted: admitted) { continue }
                if !literals.admits(i) { continue }
                let rule = rules[i]
                guard let groups = rule.match(name: name, region: region, tags: view, rawNative: rawNative) else { continue }
                matched.append(i)
                let ruleStart = hits.count
                for t in rule.tags.indices {
                    let tag = rule.tags[t]
                    guard let value = tag.template.render(spec: spec, groups: groups, tags: view, rawNative: rawNative) else { continue }
                    hits.append(RuleHit(rule: i, tag: t, key: tag.key, value: canonical(tag.key, value)))
                }
                if rule.mode == .audit { continue }
                var indexedKeyChanged = false
                for h in ruleStart..<hits.count {
                    let key = hits[h].key
                    let setEarlier = hits[firstHit..<ruleStart].contains { $0.inView && $0.key == key }
                    guard !setEarlier, view[key] == nil || rule.override else { continue }
                    hits[h].inView = true
                    view[key] = hits[h].value
                    if index.keys.contains(key) { indexedKeyChanged = true }
                }
                // A tag this rule set can admit (or exclude) later rules that match on it.
                if indexedKeyChanged { admitted = index.admitted(tags: view, rawNative: rawNative) }
            }
        }
    }
}
