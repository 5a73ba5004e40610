/// What one key's value says about another's, learned from the estate: every resource of team `payments`
/// has cost-center `CC-41234`, every resource of application `ledger` belongs to team `payments`. A company
/// assigns cost centres and owners per team, and applications to teams; its tags show it, whatever the
/// keys are called.
///
/// Learned for every ordered pair of the required keys from the resources that have both; a pair is kept
/// when it holds on most of them (`minimumReliability`). Each source value's implied target value gets the
/// lower bound of its agreement (Wilson, one-sided 95%) as confidence: it claims only what the estate showed.
public struct KeyDependencies: Codable, Sendable, Hashable {
    /// One key determining another (`team` -> `cost-center`).
    public struct Dependency: Codable, Sendable, Hashable {
        public var source: String
        public var target: String
        /// Share of the resources with both keys whose target value is the one their source value implies.
        public var reliability: Double
        /// Resources with both keys.
        public var resources: Int
        /// Folded source value -> what it implies.
        public var implied: [String: Implied]
    }

    /// The target value a source value implies, and how often the estate agreed.
    public typealias Implied = AgreedValue

    /// By target key, strongest first.
    public var byTarget: [String: [Dependency]]

    public init(byTarget: [String: [Dependency]] = [:]) { self.byTarget = byTarget }

    /// A dependency holding on fewer of its resources is not one (env -> team holds on a third or so).
    static let minimumReliability = 0.9
    static let minimumResources = 50
    /// A source value seen with the target fewer times implies nothing.
    static let minimumSupport = 5
    /// A source value whose resources disagree more often implies nothing when predicting: it is shared
    /// (a cost centre of two teams), and the model, which sees the rest of the resource, decides better.
    static let minimumAgreement = 0.95

    /// Learns from canonical key -> value maps (the values the estate knows before inference).
    public static func learn(from known: [[String: String]], keys: [String]) -> KeyDependencies {
        // Each key's values numbered, and (source key, target key, source value, target value) counted as four
        // numbers: an estate repeats a few values thousands of times, each is hashed as a string once per resource.
        var numbers = [[String: Int32]](repeating: [:], count: keys.count)
        var values = [[String]](repeating: [], count: keys.count)
        var quads: [Quad: Int] = [:]
        var present = [Int32](repeating: -1, count: keys.count)
        for tags in known where tags.count > 1 {
            for (k, key) in keys.enumerated() {
                present[k] = -1
                guard let v = tags[key] else { continue }
                if let n = numbers[k][v] {
                    present[k] = n
                } else {
                    let n = Int32(values[k].count)
                    numbers[k][v] = n
                    values[k].append(v)
                    present[k] = n
                }
            }
            for s in keys.indices where present[s] >= 0 {
                for t in keys.indices where keys[t] != keys[s] && present[t] >= 0 {
                    quads[Quad(source: Int32(s), target: Int32(t), sourceValue: present[s], targetValue: present[t]), default: 0] += 1
                }
            }
        }
        // (source, target) -> folded source value -> target value -> count
        let folded = values.map { $0.map(Fold.fold) }
        var counts: [Pair: [String: [String: Int]]] = [:]
        for (q, n) in quads {
            let s = Int(q.source), t = Int(q.target)
            counts[Pair(source: keys[s], target: keys[t]), default: [:]][folded[s][Int(q.sourceValue)], default: [:]][
                values[t][Int(q.targetValue)], default: 0] += n
        }
        var byTarget: [String: [Dependency]] = [:]
        for (pair, bySource) in counts {
            var agreeing = 0, total = 0
            var implied: [String: Implied] = [:]
            for (folded, targets) in bySource {
                let n = targets.values.reduce(0, +)
                let top = targets.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!
                agreeing += top.value
                total += n
                guard n >= minimumSupport else { continue }
                implied[folded] = Implied(
                    value: top.key, agreeing: top.value, resources: n,
                    confidence: IsotonicCalibration.wilsonLower(correct: Double(top.value), of: Double(n)))
            }
            let reliability = total == 0 ? 0 : Double(agreeing) / Double(total)
            guard total >= minimumResources, reliability >= minimumReliability, !implied.isEmpty else { continue }
            byTarget[pair.target, default: []].append(Dependency(
                source: pair.source, target: pair.target, reliability: reliability, resources: total, implied: implied))
        }
        for k in byTarget.keys {
            byTarget[k]!.sort { $0.reliability != $1.reliability ? $0.reliability > $1.reliability : $0.source < $1.source }
        }
        return KeyDependencies(byTarget: byTarget)
    }

    /// The best value `target` gets from the values a resource has (`value(key)` gives a key's applied value
    /// and how sure it is), with the dependency behind it; nil when no dependency applies.
    func implied(target: String, value: (String) -> (value: String, confidence: Double)?) -> Implication? {
        guard let dependencies = byTarget[target] else { return nil }
        var best: Implication?
        for d in dependencies {
            guard let source = value(d.source), let i = d.implied[Fold.fold(source.value)],
                  Double(i.agreeing) >= Self.minimumAgreement * Double(i.resources)
            else { continue }
            let confidence = i.confidence * source.confidence
            if best == nil || confidence > best!.confidence {
                best = Implication(dependency: d, sourceValue: source.value, implied: i, confidence: confidence)
            }
        }
        return best
    }

    /// A resource's known values with those its other keys contradict replaced by what they imply, for
    /// learning: a tag left stale by a rename (`team=pay-core` on an application of `payments`), or a
    /// cost centre mistyped, would teach the model that the same evidence means two things, and its
    /// held-out accuracy (so its confidence) would count the stale tag against the right prediction.
    /// Only source values whose resources agree on the implied value at least `relabelAgreement` of the time
    /// are trusted (stale tags of a renamed team may be a tenth of its tags), and only when at least
    /// `relabelSources` of them are present and all imply the same value: a cost centre two teams share
    /// would otherwise relabel the smaller team as the larger.
    func relabelled(_ tags: [String: String]) -> [String: String] {
        var out = tags
        for (key, value) in tags {
            guard let dependencies = byTarget[key] else { continue }
            var implied: String?
            var sources = 0
            var agree = true
            for d in dependencies {
                guard let source = tags[d.source], let i = d.implied[Fold.fold(source)],
                      Double(i.agreeing) >= Self.relabelAgreement * Double(i.resources)
                else { continue }
                sources += 1
                if let implied, Fold.fold(implied) != Fold.fold(i.value) { agree = false }
                implied = implied ?? i.value
            }
            if agree, sources >= Self.relabelSources, let implied, Fold.fold(implied) != Fold.fold(value) { out[key] = implied }
        }
        return out
    }

    static let relabelAgreement = 0.8
    static let relabelSources = 2

    struct Implication {
        var dependency: Dependency
        var sourceValue: String
        var implied: Implied
        var confidence: Double

        var reason: String {
            let d = dependency
            let percent = (d.reliability * 1000).rounded() / 10
            return "\(d.source) \(sourceValue) has \(d.target)=\(implied.value) on \(implied.agreeing) of \(implied.resources) resources "
                + "(\(d.source) -> \(d.target) holds on \(percent)% of \(d.resources) resources in the estate)"
        }
    }

    private struct Pair: Hashable {
        var source: String
        var target: String
    }

    /// A source key's value seen with a target key's value (keys and values as numbers).
    private struct Quad: Hashable {
        var source: Int32
        var target: Int32
        var sourceValue: Int32
        var targetValue: Int32
    }
}
