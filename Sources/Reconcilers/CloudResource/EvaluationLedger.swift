import KubeCore
import K8sClient

/// What each resource's last evaluation found, kept up to date by the tagger so two questions are lookups,
/// not re-evaluations or scans of 100,000 statuses: how many resources a TaggingRule matched
/// (`matchedResources`), and how many evaluated resources miss each required key (the coverage gauges).
/// Resource and rule keys share the namespace.
///
/// One table for both: a table per question cost a second key and slot per resource (at 100,000 resources
/// each table has 262,144 slots, about 10 MiB). An estate's resources match a few combinations of rules and
/// miss a few combinations of keys: each list is held once (`ValueInterner`), not once per resource.
final class EvaluationLedger: Sendable {
    private struct Entry {
        /// The rules that matched (sorted names).
        var matched: [String]
        /// The required keys still missing; nil while the resource does not count towards coverage (vanished,
        /// or recorded before its status was built).
        var missing: [String]?
    }

    private struct State {
        var entries: [ObjectKey: Entry] = [:]
        var matchedCount: [ObjectKey: Int] = [:]
        var missingCount: [String: Int] = [:]
        /// Entries with `missing` set: the resources coverage counts.
        var covered = 0
    }

    private let state = Locked(State())
    private let lists = ValueInterner<[String]>(capacity: 2_000)

    // MARK: Rule matches

    /// Records the rules that matched `resource` (sorted names); returns the rules whose count changed.
    func record(_ resource: ObjectKey, matched: [String]) -> [ObjectKey] {
        state.withLock { s in
            let old = s.entries[resource]
            if old?.matched == matched { return [] }
            let shared = matched.isEmpty ? [] : lists(matched)
            if old == nil {
                s.entries[resource] = Entry(matched: shared, missing: nil)
            } else {
                s.entries[resource]!.matched = shared
            }
            return Self.apply(old: old?.matched ?? [], new: matched, namespace: resource.namespace, to: &s.matchedCount)
        }
    }

    /// Forgets a resource that is gone; returns the rules whose count changed.
    func remove(_ resource: ObjectKey) -> [ObjectKey] {
        state.withLock { s in
            guard let old = s.entries.removeValue(forKey: resource) else { return [] }
            Self.uncount(old.missing, in: &s)
            return Self.apply(old: old.matched, new: [], namespace: resource.namespace, to: &s.matchedCount)
        }
    }

    func count(rule: ObjectKey) -> Int { state.withLock { $0.matchedCount[rule] ?? 0 } }

    /// How many resources have been evaluated (or recorded) since the process started.
    var resourceCount: Int { state.withLock { $0.entries.count } }

    // MARK: Coverage

    /// Records the required keys `resource` still misses (after `record(_:matched:)` for the same evaluation).
    func record(_ resource: ObjectKey, missing: [String]) {
        state.withLock { s in
            let old = s.entries[resource]
            if let old, old.missing == missing { return }
            Self.uncount(old?.missing, in: &s)
            for k in missing { s.missingCount[k, default: 0] += 1 }
            s.covered += 1
            let shared = missing.isEmpty ? [] : lists(missing)
            if old == nil {
                s.entries[resource] = Entry(matched: [], missing: shared)
            } else {
                s.entries[resource]!.missing = shared
            }
        }
    }

    /// Takes `resource` out of the coverage (a vanished resource); its rule matches stay as recorded.
    func uncover(_ resource: ObjectKey) {
        state.withLock { s in
            guard let missing = s.entries[resource]?.missing else { return }
            Self.uncount(missing, in: &s)
            s.entries[resource]!.missing = nil
        }
    }

    /// For each key: (resources that have it, resources evaluated).
    func coverage(of keys: [String]) -> [String: (covered: Int, total: Int)] {
        state.withLock { s in
            var out: [String: (covered: Int, total: Int)] = [:]
            for k in keys { out[k] = (s.covered - (s.missingCount[k] ?? 0), s.covered) }
            return out
        }
    }

    // MARK: Counting

    private static func uncount(_ missing: [String]?, in s: inout State) {
        guard let missing else { return }
        for k in missing { s.missingCount[k, default: 0] -= 1 }
        s.covered -= 1
    }

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
