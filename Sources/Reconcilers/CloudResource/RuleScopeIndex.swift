import KubeCore
import K8sClient
import TaggingAPI

/// From a rule to the resources it can touch: those its static scope (providers, types with `ec2:*`
/// prefixes, accounts, regions) admits, under the rule's current spec and the last spec seen, so a
/// narrowed or deleted rule re-evaluates what it no longer matches.
///
/// Resources are indexed by (namespace, provider, type). A rule naming providers or types visits only
/// the index entries it admits, so a narrow rule never scans the whole cache; accounts and regions are
/// then checked on the admitted objects.
final class RuleScopeIndex: Sendable {
    static let index = "vtag-scope"

    let resources: Store<CloudResource>
    /// The newest spec seen per rule (by generation): the informer maps an update's new object and then its
    /// old one, and the old one must not replace what was remembered.
    private let lastSeen = Locked<[ObjectKey: (generation: Int64, match: RuleMatch)]>([:])

    init(resources: Store<CloudResource>) {
        self.resources = resources
        resources.addIndex(Self.index) { [Self.value(namespace: $0.metadata.namespace ?? "", provider: $0.spec.provider, type: $0.spec.type)] }
    }

    static func value(namespace: String, provider: String, type: String) -> String {
        "\(namespace)\u{0}\(provider)\u{0}\(type)"
    }

    /// Keys of the resources `rule` can touch now or could under the spec seen before (sorted).
    /// `stillExists`: false when the rule is gone, so its remembered scope is dropped after this call.
    func resourcesTouched(by rule: TaggingRule, stillExists: Bool) -> [ObjectKey] {
        let key = ObjectKey(rule)
        let current = rule.spec.match ?? RuleMatch()
        let generation = rule.metadata.generation ?? 0
        let previous = lastSeen.withLock { seen -> RuleMatch? in
            let old = seen[key]
            if !stillExists {
                seen[key] = nil
            } else if old == nil || old!.generation <= generation {
                seen[key] = (generation, current)
            }
            return old?.match
        }
        let namespace = rule.metadata.namespace ?? ""
        var keys = Set(admitted(by: current, namespace: namespace))
        if let previous, previous != current { keys.formUnion(admitted(by: previous, namespace: namespace)) }
        return keys.sorted()
    }

    /// Keys of resources in `namespace` that a rule with `match` admits statically. Every resource is filed under
    /// one entry, so the entries of the namespace hold its resources (the operator's cache keeps no namespace
    /// index beside this one).
    func admitted(by match: RuleMatch, namespace: String) -> [ObjectKey] {
        var candidates: [ObjectKey] = []
        // Distinct (namespace, provider, type) entries are few (types x providers), not one per resource.
        for value in resources.indexValues(Self.index) {
            let parts = value.split(separator: "\u{0}", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == namespace else { continue }
            if let providers = match.providers, !providers.contains(where: { $0 == parts[1] }) { continue }
            if let types = match.types, !types.contains(where: { Self.typeMatches($0, parts[2]) }) { continue }
            candidates.append(contentsOf: resources.keys(index: Self.index, value: value))
        }
        guard match.accounts != nil || match.regions != nil else { return candidates }
        return candidates.filter { key in
            guard let r = resources.get(key) else { return false }
            if let accounts = match.accounts, !accounts.contains(r.spec.account ?? "") { return false }
            if let regions = match.regions, !regions.contains(r.spec.region ?? "") { return false }
            return true
        }
    }

    /// A rule type (`ec2:instance`, or `ec2:*` for a prefix) against a resource type.
    static func typeMatches(_ pattern: String, _ type: Substring) -> Bool {
        if pattern.hasSuffix("*") { return type.hasPrefix(pattern.dropLast()) }
        return pattern == type
    }
}
