import KubeCore
import K8sClient

/// Which required keys each evaluated resource still misses, kept up to date by the tagger so the
/// coverage per required key is a lookup (for `vtag_*` gauges), not a scan of 100,000 statuses.
/// Resources miss a few combinations of keys: each list is held once (`ValueInterner`), not once per resource.
final class CoverageLedger: Sendable {
    private struct State {
        var missing: [ObjectKey: [String]] = [:]
        var missingCount: [String: Int] = [:]
    }

    private let state = Locked(State())
    private let lists = ValueInterner<[String]>(capacity: 1_000)

    func record(_ resource: ObjectKey, missing: [String]) {
        state.withLock { s in
            let old = s.missing[resource]
            if old == missing { return }
            for k in old ?? [] { s.missingCount[k, default: 0] -= 1 }
            for k in missing { s.missingCount[k, default: 0] += 1 }
            s.missing[resource] = missing.isEmpty ? [] : lists(missing)
        }
    }

    func remove(_ resource: ObjectKey) {
        state.withLock { s in
            guard let old = s.missing.removeValue(forKey: resource) else { return }
            for k in old { s.missingCount[k, default: 0] -= 1 }
        }
    }

    /// For each key: (resources that have it, resources evaluated).
    func coverage(of keys: [String]) -> [String: (covered: Int, total: Int)] {
        state.withLock { s in
            let total = s.missing.count
            var out: [String: (covered: Int, total: Int)] = [:]
            for k in keys { out[k] = (total - (s.missingCount[k] ?? 0), total) }
            return out
        }
    }
}
