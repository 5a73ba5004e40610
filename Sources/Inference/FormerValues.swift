/// A value a key's tags still carry after it was renamed: `team=data-eng` on resources of `data-platform`'s
/// deployments, tags written before the team's rename and never updated.
public struct FormerValue: Codable, Sendable, Hashable {
    /// The estate's form of the value it became.
    public var current: String
    /// Resources carrying the former value in deployments of `current`.
    public var agreeing: Int
    /// Resources carrying the former value in deployments that are one value's.
    public var resources: Int

    /// For a reason: the value may as well be a misspelling the vocabulary could not place (`pord`).
    func reason(former: String) -> String {
        "\(former) taken for \(current): \(agreeing) of \(resources) resources tagged \(former) are in deployments whose "
            + "other resources are tagged \(current) (a value from before a rename, or a misspelling)"
    }
}

/// Finds former values by where their resources are. A deployment (`TrainingExample.groupHash`: account, region and
/// the name's first words) is one team's, one application's: a value most of whose resources sit among another
/// value's resources, in deployments that are that value's, is that value under a name it no longer has. A real
/// value, however small, has deployments of its own; a stale tag of another kind (a previous owner, another
/// environment) is sprinkled over deployments of many values, and belongs to none.
enum FormerValues {
    /// A deployment is a value's when this share of its resources carrying the key carry that value.
    static let deploymentShare = 0.8
    /// A former value is judged on this many resources in deployments that are one value's, and this share of
    /// them are in the current value's.
    static let minimumResources = 3
    static let minimumAgreement = 0.8
    /// The current value is this many times as common as the former one (a rename's stale tags are a fraction).
    static let rarity = 3

    /// One key's value on some resources of one deployment.
    struct Placed: Hashable {
        var group: UInt64
        var key: String
        var value: String
    }

    /// `placed`: how many resources of each deployment carry each (key, value), values in the estate's form.
    /// Returns key -> folded former value -> what it became.
    static func learn(_ placed: [Placed: Int]) -> [String: [String: FormerValue]] {
        // Sorted by key and deployment, each deployment's values of a key are one run (nested dictionaries, one per
        // deployment, would be 100,000 small tables in a large estate).
        let entries = placed.sorted { a, b in a.key.key != b.key.key ? a.key.key < b.key.key : a.key.group < b.key.group }
        var counts: [String: [String: Int]] = [:]
        for (p, n) in entries { counts[p.key, default: [:]][p.value, default: 0] += n }
        // Key -> value -> the value of the deployments its resources are in (itself included) -> resources.
        var placedIn: [String: [String: [String: Int]]] = [:]
        var start = entries.startIndex
        while start < entries.endIndex {
            let first = entries[start].key
            var end = start + 1
            while end < entries.endIndex, entries[end].key.key == first.key, entries[end].key.group == first.group { end += 1 }
            let run = entries[start..<end]
            start = end
            // A deployment of one tagged resource says nothing.
            let total = run.reduce(0) { $0 + $1.value }
            guard total > 1 else { continue }
            let top = run.max { a, b in a.value != b.value ? a.value < b.value : a.key.value > b.key.value }!
            // Only a deployment that is one value's places its values.
            guard Double(top.value) >= deploymentShare * Double(total) else { continue }
            for (p, n) in run { placedIn[first.key, default: [:]][p.value, default: [:]][top.key.value, default: 0] += n }
        }
        var out: [String: [String: FormerValue]] = [:]
        for (key, byValue) in placedIn {
            let valueCounts = counts[key]!
            var formers: [String: FormerValue] = [:]
            for (value, byOwner) in byValue {
                let resources = byOwner.values.reduce(0, +)
                guard let top = byOwner.max(by: { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }),
                      top.key != value, top.value >= minimumResources, Double(top.value) >= minimumAgreement * Double(resources),
                      (valueCounts[top.key] ?? 0) >= rarity * (valueCounts[value] ?? 0) else { continue }
                formers[Fold.fold(value)] = FormerValue(current: top.key, agreeing: top.value, resources: resources)
            }
            // A value renamed twice is taken straight to its last name (the rarity rules out loops; steps bound it).
            for (folded, f) in formers {
                var current = f.current
                var steps = 0
                while let next = formers[Fold.fold(current)], steps < formers.count {
                    current = next.current
                    steps += 1
                }
                formers[folded]!.current = current
            }
            if !formers.isEmpty { out[key] = formers }
        }
        return out
    }
}
