import Inference
import K8sClient
import Synchronization
import TaggingAPI

/// Each namespace's TaggingRules compiled once, rebuilt only when the namespace's rules change.
///
/// A rule's spec changes bump its generation, so the fingerprint (names, uids, generations) moves with
/// the spec and not with status writes. It is a hash built without allocating, cheap enough for every
/// reconcile. Rules that do not compile are left out (the rule reconciler reports them).
final class RuleSetCache: Sendable {
    private struct Entry {
        var fingerprint: Fingerprint
        var ruleSet: RuleSet
    }

    struct Fingerprint: Hashable {
        var count: Int
        var hash: Int
    }

    private let entries = Mutex<[String: Entry]>([:])
    let rules: Store<TaggingRule>
    let tables: NormalisationTables

    init(rules: Store<TaggingRule>, tables: NormalisationTables) {
        self.rules = rules
        self.tables = tables
    }

    func ruleSet(namespace: String) -> RuleSet {
        let list = rules.list(namespace: namespace).filter { $0.metadata.deletionTimestamp == nil }
        let fingerprint = Self.fingerprint(list)
        if let entry = entries.withLock({ $0[namespace] }), entry.fingerprint == fingerprint { return entry.ruleSet }
        // Compiled outside the lock; two workers may compile the same set once at a change, which is harmless.
        let (ruleSet, _) = RuleSet.compile(list, tables: tables)
        entries.withLock { $0[namespace] = Entry(fingerprint: fingerprint, ruleSet: ruleSet) }
        return ruleSet
    }

    static func fingerprint(_ rules: [TaggingRule]) -> Fingerprint {
        // Order-independent: the store lists in no particular order.
        var combined = 0
        for r in rules {
            var h = Hasher()
            h.combine(r.metadata.name)
            h.combine(r.metadata.uid)
            if let generation = r.metadata.generation { h.combine(generation) } else { h.combine(r.spec) }
            combined = combined &+ h.finalize()
        }
        return Fingerprint(count: rules.count, hash: combined)
    }
}
