import KubeCore
import K8sClient

/// Which rules matched which resources at their last evaluation, so a TaggingRule's `matchedResources`
/// is a lookup, not a re-evaluation of the namespace. Resource and rule keys share the namespace.
/// An estate's resources match a few combinations of rules: each list is held once (`ValueInterner`), not
/// once per resource.
final class RuleMatchLedger: Sendable {
    private struct State {
        var byResource: [ObjectKey: [String]] = [:]
        var counts: [ObjectKey: Int] = [:]
    }

    private let state = Locked(State())
    private let lists = ValueInterner<[String]>(capacity: 1_000)

    /// Records the rules that matched `resource` (sorted names); returns the rules whose count changed.
    func record(_ resource: ObjectKey, matched: [String]) -> [ObjectKey] {
        state.withLock { s in
            let old = s.byResource[resource]
            if old == matched { return [] }
            s.byResource[resource] = matched.isEmpty ? [] : lists(matched)
            return Self.apply(old: old ?? [], new: matched, namespace: resource.namespace, to: &s.counts)
        }
    }

    /// Forgets a resource that is gone; returns the rules whose count changed.
    func remove(_ resource: ObjectKey) -> [ObjectKey] {
        state.withLock { s in
            guard let old = s.byResource.removeValue(forKey: resource) else { return [] }
            return Self.apply(old: old, new: [], namespace: resource.namespace, to: &s.counts)
        }
    }

    func count(rule: ObjectKey) -> Int { state.withLock { $0.counts[rule] ?? 0 } }

    /// How many resources have been evaluated (or recorded) since the process started.
    var resourceCount: Int { state.withLock { $0.byResource.count } }

    private static func apply(old: [String], new: [String], namespace: String?, to counts: inout [ObjectKey: Int]) -> [ObjectKey] {
        let before = Set(old), after = Set(new)
        var changed: [ObjectKey] = []
        for name in before.subtracting(after) {
            let key = ObjectKey(namespace: namespace, name: name)
            let n = (counts[key] ?? 0) - 1
            counts[key] = n > 0 ? n : nil
            changed.append(key)
        }
        for name in after.subtracting(before) {
            let key = ObjectKey(namespace: namespace, name: name)
            counts[key, default: 0] += 1
            changed.append(key)
        }
        return changed.sorted()
    }
}
