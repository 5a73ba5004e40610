/// What one key's value says about another's, learned from the estate: every resource of team `payments`
/// has cost-center `CC-41234`, every resource of application `ledger` belongs to team `payments`. A company
/// assigns cost centres and owners per team, and applications to teams; its tags show it, whatever the
/// keys are called.
///
/// Learned for every ordered pair of the required keys from the resources that have both; a pair is kept
/// when it holds on most of them, judged by other deployments (`minimumHeldOutReliability`). Each source value's
/// implied target value gets the lower bound of its agreement (Wilson, one-sided 95%) as confidence: it claims only
/// what the estate showed.
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
        /// Folded source value -> folded target value -> resources with both (source values seen with the target
        /// at least `minimumSeen` times): which pairs the estate has shown at all (nil in models stored before).
        public var seen: [String: [String: Int]]?
        /// Per `partialBands` band: how often a source value whose resources agree that partly held on other
        /// accounts' resources (the lower bound, Wilson 95%; nil where too few were judged). nil in models stored
        /// before: such a value then counts at its share, from `minimumShare` up.
        public var partialRecords: [Double?]? = nil
        /// Per other key that determines the same target: the share of the resources with both keys on which that
        /// key's value implies another target value than this key's (an application's owner was not its team's
        /// lead on 13% of seed 8929's resources; a team's cost centre is its applications'). nil in models stored
        /// before.
        public var differing: [String: Double]? = nil

        /// The record of `partialBands` band `band`, if measured.
        func partialRecord(_ band: Int) -> Double? {
            guard let records = partialRecords, records.indices.contains(band) else { return nil }
            return records[band]
        }
    }

    /// The target value a source value implies, and how often the estate agreed.
    public typealias Implied = AgreedValue

    /// By target key, strongest first.
    public var byTarget: [String: [Dependency]]

    public init(byTarget: [String: [Dependency]] = [:]) { self.byTarget = byTarget }

    /// A dependency holding on fewer of its resources is not one (env -> team holds on a third or so); used when
    /// the resources' deployments are not known, or too few are judged by other deployments.
    static let minimumReliability = 0.9
    /// A dependency holding on fewer of its resources, each judged by its source value's resources in other
    /// deployments, is not one. On the whole, a source value seen in one deployment only agrees with itself (an
    /// owner whose tagged resources are one application's); judged by other deployments it is not counted. A rule
    /// the company follows (a team's cost centre) holds as often both ways, its stale and mistyped tags spread over
    /// all deployments. On tuning seeds 8830-8845 team -> cost-center held on 89-94% both ways, owner ->
    /// application on 63-86% on the whole and 54-82% judged by other deployments. (A renamed team's old cost centre,
    /// on a tenth of a large team's tags, took team -> cost-center under 90% on the whole on 4 of the 16.)
    static let minimumHeldOutReliability = 0.87
    static let minimumResources = 50
    /// A source value seen with the target fewer times implies nothing.
    static let minimumSupport = 5
    /// A source value seen with the target fewer times says nothing of which values it never goes with (two
    /// resources without a value leave it a chance of 0.25).
    static let minimumSeen = 2
    /// A source value whose resources disagree more often implies nothing when predicting: it is shared
    /// (a cost centre of two teams), and the model, which sees the rest of the resource, decides better.
    static let minimumAgreement = 0.95
    /// Lower edges of the bands of agreement below `minimumAgreement` (the top band ends there) in which a source
    /// value implies its target at the band's record (`Dependency.partialRecords`): how often such values held on
    /// other accounts' resources. In estates written by people most disagreement is a typo or a tag left stale by a
    /// rename (`autocomplete` with team `search` on 14 of 16 resources, `discovery` on 2); a renamed team keeps its
    /// old cost centre on a tenth of its cost-centre tags. A handful of resources is a noisy measure of a value's
    /// agreement: its band's record says how often such values hold. On tuning seed 8833, application ->
    /// cost-center values agreeing on 60-80% held on 57 of 62 judged resources, owner -> application ones on 93 of
    /// 158. Counted at their share, owners implied by partly agreeing applications were right on 386 of 386 at
    /// 0.6-0.7 (seeds 8830-8845). Bands count values of `minimumSupport` resources and up: an application's cost
    /// centre on 2 of 3 is no measure (seed 8837: 51 of them wrong at 0.6-0.7).
    static let partialBands = [0.6, 0.8]
    /// Without a band's record (models stored before, or too few judged), a source value agreeing less often than
    /// this implies nothing, and from this to `minimumAgreement` counts at its share of the agreeing values' record.
    static let minimumShare = 0.8
    /// Words a source value's resources append to its target value without meaning another one: the vocabulary's
    /// neutral suffixes (`checkout_team`), and the marks a rename leaves on the old name (`checkout-old`). Folded
    /// into the estate's form only when much rarer than their base (`ValueVocabulary`); among the resources of one
    /// source value they are the same team.
    static let sameValueSuffixes = ValueVocabulary.neutralSuffixes + ["old", "legacy"]

    /// Whether folded `value` is folded `base` with one of `sameValueSuffixes`.
    static func isSuffixed(_ value: String, base: String) -> Bool {
        value.count > base.count && value.hasPrefix(base) && sameValueSuffixes.contains(String(value.dropFirst(base.count)))
    }

    /// Learns from canonical key -> value maps (the values the estate knows before inference). `accounts`: each
    /// map's account, when known, folded into `folds` to measure how often a thinly supported source value's
    /// implication held on other accounts' resources (see `HeldOut`). `groups`: each map's deployment
    /// (`TrainingExample.groupHash`), when known, folded into `folds` to judge whether the pair holds at all.
    public static func learn(from known: [[String: String]], keys: [String], accounts: [String]? = nil, groups: [UInt64]? = nil,
                             folds: Int = 5) -> KeyDependencies {
        // Each key's values numbered, and (source key, target key, source value, target value) counted as four
        // numbers: an estate repeats a few values thousands of times, each is hashed as a string once per resource.
        var numbers = [[String: Int32]](repeating: [:], count: keys.count)
        var values = [[String]](repeating: [], count: keys.count)
        // Resources repeat a few combinations of values: each combination (with its fold) is counted once per
        // resource, and its (source, target) pairs counted from the combinations.
        var combinations: [Combination: Int] = [:]
        var present = [Int32](repeating: -1, count: keys.count)
        for (r, tags) in known.enumerated() where tags.count > 1 {
            let fold = accounts.map { Int32(FNV.hash($0[r]) % UInt64(max(folds, 1))) } ?? -1
            let groupFold = groups.map { Int32($0[r] % UInt64(max(folds, 1))) } ?? -1
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
            combinations[Combination(values: present, fold: fold, groupFold: groupFold), default: 0] += 1
        }
        var quads: [Quad: Int] = [:]
        for (c, n) in combinations {
            let present = c.values
            for s in keys.indices where present[s] >= 0 {
                for t in keys.indices where keys[t] != keys[s] && present[t] >= 0 {
                    quads[Quad(source: Int32(s), target: Int32(t), sourceValue: present[s], targetValue: present[t], fold: c.fold,
                               groupFold: c.groupFold), default: 0] += n
                }
            }
        }
        // (source, target) -> folded source value -> target value -> count
        let folded = values.map { $0.map(Fold.fold) }
        var counts: [Pair: [String: [String: Int]]] = [:]
        // (source, target) -> folded source value -> target value -> count per account fold.
        var byFold: [Pair: [String: [String: [Int]]]] = [:]
        // The same per deployment fold.
        var byGroupFold: [Pair: [String: [String: [Int]]]] = [:]
        for (q, n) in quads {
            let s = Int(q.source), t = Int(q.target)
            let pair = Pair(source: keys[s], target: keys[t])
            counts[pair, default: [:]][folded[s][Int(q.sourceValue)], default: [:]][values[t][Int(q.targetValue)], default: 0] += n
            if q.fold >= 0 {
                byFold[pair, default: [:]][folded[s][Int(q.sourceValue)], default: [:]][
                    values[t][Int(q.targetValue)], default: [Int](repeating: 0, count: folds)][Int(q.fold)] += n
            }
            if q.groupFold >= 0 {
                byGroupFold[pair, default: [:]][folded[s][Int(q.sourceValue)], default: [:]][
                    values[t][Int(q.targetValue)], default: [Int](repeating: 0, count: folds)][Int(q.groupFold)] += n
            }
        }
        var byTarget: [String: [Dependency]] = [:]
        for (pair, bySource) in counts {
            let heldOut = byFold[pair].map { HeldOut.measure($0, folds: folds) } ?? HeldOut()
            var agreeing = 0, total = 0
            var implied: [String: Implied] = [:]
            var seen: [String: [String: Int]] = [:]
            for (folded, targets) in bySource {
                let n = targets.values.reduce(0, +)
                let top = targets.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }!
                // The top value written with a suffix (`checkout_team`, `checkout-old`) agrees with it.
                let foldedTop = Fold.fold(top.key)
                let agreed = targets.reduce(0) { sum, t in
                    sum + (t.key == top.key || Self.isSuffixed(Fold.fold(t.key), base: foldedTop) ? t.value : 0)
                }
                agreeing += agreed
                total += n
                if n >= minimumSeen { for (t, c) in targets { seen[folded, default: [:]][Fold.fold(t), default: 0] += c } }
                let own = IsotonicCalibration.wilsonLower(correct: Double(agreed), of: Double(n))
                let pooled = heldOut.confidence(support: n)
                guard n >= minimumSupport || pooled != nil else { continue }
                implied[folded] = Implied(value: top.key, agreeing: agreed, resources: n, confidence: max(own, pooled ?? 0))
            }
            let reliability = total == 0 ? 0 : Double(agreeing) / Double(total)
            guard total >= minimumResources, !implied.isEmpty else { continue }
            // Judged by other deployments where enough resources have some (one deployment is judged by none).
            let acrossDeployments = byGroupFold[pair].map {
                HeldOutAgreement.measure($0.values, folds: folds, buckets: 1) { n, _ in n >= 1 ? 0 : nil }
            }
            if let judged = acrossDeployments, judged.judged[0] >= minimumResources {
                guard Double(judged.agreeing[0]) >= minimumHeldOutReliability * Double(judged.judged[0]) else { continue }
            } else {
                guard reliability >= minimumReliability else { continue }
            }
            byTarget[pair.target, default: []].append(Dependency(
                source: pair.source, target: pair.target, reliability: reliability, resources: total, implied: implied,
                seen: seen, partialRecords: byFold[pair] == nil ? nil : heldOut.partialRecords))
        }
        for k in byTarget.keys {
            byTarget[k]!.sort { $0.reliability != $1.reliability ? $0.reliability > $1.reliability : $0.source < $1.source }
            measureDiffering(&byTarget[k]!, counts: counts)
        }
        return KeyDependencies(byTarget: byTarget)
    }

    /// Fills each dependency's `differing` from the resources' pairs of source values (`counts`: (key, other key)
    /// -> folded value -> other value -> resources).
    private static func measureDiffering(_ dependencies: inout [Dependency], counts: [Pair: [String: [String: Int]]]) {
        for d in dependencies.indices {
            var differing: [String: Double] = [:]
            for other in dependencies where other.source != dependencies[d].source {
                guard let pairs = counts[Pair(source: other.source, target: dependencies[d].source)] else { continue }
                var differ = 0, all = 0
                for (otherValue, values) in pairs {
                    guard let theirs = other.implied[otherValue] else { continue }
                    for (value, n) in values {
                        guard let mine = dependencies[d].implied[Fold.fold(value)] else { continue }
                        all += n
                        if Fold.fold(mine.value) != Fold.fold(theirs.value) { differ += n }
                    }
                }
                if all > 0 { differing[other.source] = Double(differ) / Double(all) }
            }
            dependencies[d].differing = differing
        }
    }

    /// The best value `target` gets from the values a resource has (`value(key)` gives a key's applied value
    /// and how sure it is), with the dependency behind it; nil when no dependency applies.
    func implied(target: String, value: (String) -> (value: String, confidence: Double)?) -> Implication? {
        guard let dependencies = byTarget[target] else { return nil }
        var best: Implication?
        for d in dependencies {
            guard let source = value(d.source), let i = d.implied[Fold.fold(source.value)], let held = Self.held(i, in: d)
            else { continue }
            let confidence = held.confidence * source.confidence
            if best == nil || confidence > best!.confidence {
                best = Implication(dependency: d, sourceValue: source.value, implied: i, confidence: confidence, partialBand: held.band)
            }
        }
        // What the other keys say of the value, as of any guess: a team's lead for an application whose owner no
        // tag shows is one.
        if let found = best, let c = contradiction(target: target, candidate: found.implied.value, value: value),
           c.chance < found.confidence {
            best!.confidence = c.chance
            best!.doubt = c
        }
        return best
    }

    /// How sure a source value's implication is, before the source's own confidence; nil when it implies nothing.
    /// `band`: the `partialBands` band whose record it is, if any.
    struct Held {
        var confidence: Double
        var band: Int?
    }

    /// How sure `i` is (see `Held`). Agreeing values (`minimumAgreement`) have theirs; the others their band's
    /// record (see `partialBands`) or, without one, their share of the agreeing values' record. Never below the
    /// value's own lower bound, which counts its disagreeing resources already (scaling it by the share too would
    /// count them twice).
    static func held(_ i: Implied, in d: Dependency) -> Held? {
        let share = Double(i.agreeing) / Double(max(i.resources, 1))
        guard share < minimumAgreement else { return Held(confidence: i.confidence) }
        let own = IsotonicCalibration.wilsonLower(correct: Double(i.agreeing), of: Double(i.resources))
        if i.resources >= minimumSupport, let band = partialBands.lastIndex(where: { share >= $0 }),
           let record = d.partialRecord(band) {
            return Held(confidence: max(own, record), band: band)
        }
        guard share >= minimumShare else { return nil }
        return Held(confidence: max(own, i.confidence * share))
    }

    /// How likely `candidate` is for `target` at most, when a key that determines it has a value the estate has
    /// (almost) never shown with it: `cost-center=CC-63768` on a resource of team `data-platform`, whose
    /// tagged resources never had it (a name word shared with `ml-platform`, whose resources tag their cost
    /// centre more often, says so). Seen on at most `1 - minimumAgreement` of the source value's resources,
    /// the pair is one the company does not make (a stale or mistyped tag at most); its chance is that share by
    /// the rule of succession ((k + 1) / (n + 2): an upper bound overstated it, capped owners of applications whose
    /// owner two or three tags showed were right 15% of the time at 0.5-0.6 on seed 8201), plus the chance the
    /// source value is itself wrong (`value(key)` as for `implied`). nil when no key contradicts it; the
    /// strongest contradiction otherwise.
    /// `inherited`: the candidate is a parent's tag. The parent (an instance, for its volume) is a resource of the
    /// source value whose tags show the target, though not the source: a source value no tagged resource shows
    /// with the target does not doubt it (seeds 8830-8845: such owners were right on 100 of 110).
    func contradiction(target: String, candidate: String, inherited: Bool = false,
                       value: (String) -> (value: String, confidence: Double)?) -> Contradiction? {
        guard let dependencies = byTarget[target] else { return nil }
        let folded = Fold.fold(candidate)
        var strongest: Contradiction?
        for (index, d) in dependencies.enumerated() {
            guard let source = value(d.source), let seen = d.seen else { continue }
            guard let pairs = seen[Fold.fold(source.value)] else {
                if inherited { continue }
                // No tagged resource shows the source value's target (`cdn-origin`, whose owner nobody tagged):
                // the guess is the value of resources like it (the team lead), which for this source value is
                // right only as often as it shares the others' (seed 9004: 35% at 0.6-0.7). Only when it is the
                // key's one determinant, or a weaker one the resource has is refined by it: a team's cost centre
                // holds for an application nobody tagged with it, a team's lead is not every application's owner
                // (seed 8929: team -> owner for applications whose owner no tag showed, right 16 of 54 at 0.7-0.8).
                guard dependencies.count == 1 || Self.refines(d, weaker: dependencies[(index + 1)...], value: value) else { continue }
                let chance = (1 - source.confidence) + source.confidence * Self.unshownShare
                if strongest == nil || chance < strongest!.chance {
                    strongest = Contradiction(dependency: d, sourceValue: source.value, together: 0, resources: 0, chance: chance)
                }
                continue
            }
            let together = pairs[folded] ?? 0
            let resources = pairs.values.reduce(0, +)
            guard Double(together) <= (1 - Self.minimumAgreement) * Double(resources) else { continue }
            let share = Double(together + 1) / Double(resources + 2)
            let chance = (1 - source.confidence) + source.confidence * share
            if strongest == nil || chance < strongest!.chance {
                strongest = Contradiction(dependency: d, sourceValue: source.value, together: together, resources: resources, chance: chance)
            }
        }
        return strongest
    }

    /// Whether `d`'s source key refines one of the `weaker` keys that determine the same target, which the
    /// resource has: their implications differ on more than `minimumRefinement` of the resources with both
    /// (`Dependency.differing`), so the weaker one's value says little of what `d`'s would.
    static func refines(_ d: Dependency, weaker: ArraySlice<Dependency>, value: (String) -> (value: String, confidence: Double)?) -> Bool {
        weaker.contains { other in
            (other.differing?[d.source] ?? 0) > minimumRefinement && value(other.source) != nil
        }
    }

    /// Two keys determining one target whose implications differ on more resources than this are a key and its
    /// refinement (an application's owner is not its team's lead on 13% of seed 8929's resources). Below it they
    /// are two ways to the same value, apart from values two teams share (a cost centre's team is not its
    /// applications' on 5.5-7.4% of the resources of seeds 8830, 8838 and 8845).
    static let minimumRefinement = 0.1

    /// What a value of a key is worth at most when the key that determines it has a value no tagged resource
    /// shows with the key: less than even odds, since nothing the estate tagged says which it is.
    static let unshownShare = 0.45

    /// A value the resource's other keys say it (almost) never has (see `contradiction`).
    struct Contradiction {
        var dependency: Dependency
        var sourceValue: String
        /// Resources of the source value with the contradicted value, and with a value for the target.
        var together: Int
        var resources: Int
        /// What the contradicted value's confidence may be at most.
        var chance: Double

        func reason(value: String) -> String {
            let d = dependency
            if resources == 0 { return "doubted: no tagged resource of \(d.source) \(sourceValue) shows its \(d.target)" }
            return "doubted: \(d.source) \(sourceValue) has \(d.target)=\(value) on \(together) of \(resources) resources"
        }
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
                guard let source = tags[d.source], let i = d.implied[Fold.fold(source)], i.resources >= Self.minimumSupport,
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
        /// The `partialBands` band whose record gave the confidence, if any.
        var partialBand: Int? = nil
        /// What another key says against the value, when it lowered the confidence.
        var doubt: Contradiction? = nil

        var reason: String {
            let d = dependency
            let percent = (d.reliability * 1000).rounded() / 10
            // A confidence above the value's own lower bound came from its support bucket (see `HeldOut`).
            let own = IsotonicCalibration.wilsonLower(correct: Double(implied.agreeing), of: Double(implied.resources))
            let pooled: String
            if let band = partialBand, let record = d.partialRecord(band), record > own + 1e-9 {
                let upper = band + 1 < partialBands.count ? partialBands[band + 1] : minimumAgreement
                pooled = "; values agreeing on \(Int(partialBands[band] * 100))-\(Int(upper * 100))% of their resources held on "
                    + "other accounts' resources at least \(Int(record * 100))% of the time"
            } else {
                pooled = implied.confidence > own + 1e-9 ? "; values seen as rarely held on other accounts' resources" : ""
            }
            return "\(d.source) \(sourceValue) has \(d.target)=\(implied.value) on \(implied.agreeing) of \(implied.resources) resources "
                + "(\(d.source) -> \(d.target) holds on \(percent)% of \(d.resources) resources in the estate\(pooled))" + (doubt.map { "; " + $0.reason(value: implied.value) } ?? "")
        }
    }

    private struct Pair: Hashable {
        var source: String
        var target: String
    }

    /// One resource's value numbers per key (-1 for none) and its account fold.
    private struct Combination: Hashable {
        var values: [Int32]
        var fold: Int32
        var groupFold: Int32
    }

    /// A source key's value seen with a target key's value (keys and values as numbers), in an account fold
    /// (-1 when accounts are not known).
    private struct Quad: Hashable {
        var source: Int32
        var target: Int32
        var sourceValue: Int32
        var targetValue: Int32
        var fold: Int32
        var groupFold: Int32
    }

    /// How often a dependency's implication held on resources of accounts its source value's support did not
    /// come from, by how many resources supported it: a source value seen with the target on a few resources
    /// (an application whose owner three tags show) says little on its own (Wilson's lower bound of 3 of 3 is
    /// 0.44), but the dependency's other thinly supported values, each judged by the other accounts' resources,
    /// measure how often such a value holds. Values whose support agrees (`minimumAgreement`) count by support;
    /// the others by `partialBands` band, from `minimumSupport` resources up, as when predicting.
    struct HeldOut {
        /// Per support bucket (`supportEdges`), then per partial band: resources whose held-out implication agreed,
        /// and all judged.
        var agreeing = [Int](repeating: 0, count: supportEdges.count + partialBands.count)
        var resources = [Int](repeating: 0, count: supportEdges.count + partialBands.count)

        /// Lower edges of the support buckets (resources of the source value with the target); the last is open.
        static let supportEdges = [minimumSeen, 5, 10]
        /// A bucket with fewer judged resources says nothing.
        static let minimumJudged = 50

        static func bucket(_ support: Int) -> Int? { supportEdges.lastIndex { support >= $0 } }

        /// `bySource`: folded source value -> target value -> count per account fold.
        static func measure(_ bySource: [String: [String: [Int]]], folds: Int) -> HeldOut {
            let tally = HeldOutAgreement.measure(bySource.values, folds: folds, buckets: supportEdges.count + partialBands.count) { n, agreeing in
                let share = Double(agreeing) / Double(n)
                if share >= minimumAgreement { return bucket(n) }
                guard n >= minimumSupport, let band = partialBands.lastIndex(where: { share >= $0 }) else { return nil }
                return supportEdges.count + band
            }
            return HeldOut(agreeing: tally.agreeing, resources: tally.judged)
        }

        /// Per partial band, the lower bound (Wilson, 95%) of how often its values held on other accounts; nil
        /// where too few were judged.
        var partialRecords: [Double?] {
            partialBands.indices.map { band in
                let b = Self.supportEdges.count + band
                guard resources[b] >= Self.minimumJudged else { return nil }
                return IsotonicCalibration.wilsonLower(correct: Double(agreeing[b]), of: Double(resources[b]))
            }
        }

        /// The lower bound (Wilson, 95%) of how often an implication with this support held on other accounts;
        /// nil when too few were judged.
        /// A bucket with too few judged is pooled with the ones below it: values with less support hold no more
        /// often (seed 8842: applications' owners on 5-9 resources, 46 of 47 judged, 2-4 74 of 78).
        func confidence(support: Int) -> Double? {
            guard let top = Self.bucket(support) else { return nil }
            var k = 0, n = 0
            for b in stride(from: top, through: 0, by: -1) {
                k += agreeing[b]
                n += resources[b]
                if n >= Self.minimumJudged { return IsotonicCalibration.wilsonLower(correct: Double(k), of: Double(n)) }
            }
            return nil
        }
    }
}
