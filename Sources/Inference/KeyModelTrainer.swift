import Foundation

/// Trains a KeyModel from scratch: counts every (feature, value) pair per fold, so a prediction for an
/// example can use "all folds but its own" without building separate models, and fits the calibration on
/// those held-out predictions.
///
/// Folds come in schemes, each giving held-out predictions of its own. Holding out one deployment at a time
/// measures the model on resources like the tagged ones; but the resources it fills are mostly those of
/// teams that never tag, in accounts it has no tagged example from. Holding out whole accounts produces
/// such strangers, and the evidence groups route each kind to the calibration fitted on its own kind.
struct KeyModelTrainer {
    struct Example {
        var features: ResourceFeatures
        var value: String
        /// The example's held-out fold in each scheme (by deployment, by account: see `TagModel.train`).
        var folds: [Int]
    }

    var key: String
    var options: TrainingOptions

    func train(_ examples: [Example]) -> KeyModel {
        let folds = options.folds
        let schemes = examples.first?.folds.count ?? 0
        let values = Array(Set(examples.map(\.value))).sorted()
        let valueIndex = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })

        // Feature lists, and how often each feature occurs (rare ones are dropped: they cost space, not accuracy).
        let lists = examples.map { $0.features.features(for: key) }
        // Each feature string is hashed once, here: numbered as first seen, then the kept ones renumbered in
        // name order (`seenLists` and the tables by seen number replace string lookups below).
        var seenIndex: [String: Int32] = [:]
        var seenNames: [String] = []
        var seenCounts: [Int] = []
        let seenLists: [[Int32]] = lists.map { list in
            list.map { f in
                if let i = seenIndex[f] {
                    seenCounts[Int(i)] += 1
                    return i
                }
                let i = Int32(seenNames.count)
                seenIndex[f] = i
                seenNames.append(f)
                seenCounts.append(1)
                return i
            }
        }
        let kept = seenNames.indices.filter { seenCounts[$0] >= options.minimumFeatureCount }.sorted { seenNames[$0] < seenNames[$1] }
        let featureNames = kept.map { seenNames[$0] }
        // Seen number -> index in featureNames, -1 when dropped as rare.
        var featureIndex = [Int32](repeating: -1, count: seenNames.count)
        for (i, g) in kept.enumerated() { featureIndex[g] = Int32(i) }
        let seenInformative = seenNames.map(EvidenceGroup.isInformative)
        let seenIsTag = seenNames.map { $0.hasPrefix(ResourceFeatures.tagPrefix) }

        // Per-fold counts for each scheme: pairs[(feature, value)] -> slot; counts[scheme].slots[slot * folds + fold].
        var pairSlot: [Int64: Int] = [:]
        var pairOf: [(feature: Int32, value: Int32)] = []
        var counts = [FoldCounts](repeating: FoldCounts(values: values.count, folds: folds), count: schemes)
        var encoded: [[Int32]] = []
        encoded.reserveCapacity(examples.count)
        for (e, list) in zip(examples, seenLists) {
            let v = valueIndex[e.value]!
            for s in 0..<schemes { counts[s].docs[v * folds + e.folds[s]] += 1 }
            var ids: [Int32] = []
            ids.reserveCapacity(list.count)
            for g in list {
                let fi = featureIndex[Int(g)]
                guard fi >= 0 else { continue }
                ids.append(fi)
                let pk = Int64(fi) << 32 | Int64(v)
                let slot: Int
                if let s = pairSlot[pk] {
                    slot = s
                } else {
                    slot = pairOf.count
                    pairSlot[pk] = slot
                    pairOf.append((fi, Int32(v)))
                    for s in 0..<schemes { counts[s].slots.append(contentsOf: repeatElement(0, count: folds)) }
                }
                for s in 0..<schemes {
                    counts[s].slots[slot * folds + e.folds[s]] += 1
                    counts[s].totals[v * folds + e.folds[s]] += 1
                }
            }
            encoded.append(ids)
        }

        // Postings per feature, with each posting's slot so fold counts can be subtracted.
        var postingSlots = [[Int]](repeating: [], count: featureNames.count)
        for (slot, pair) in pairOf.enumerated() { postingSlots[Int(pair.feature)].append(slot) }
        for i in postingSlots.indices { postingSlots[i].sort { pairOf[$0].value < pairOf[$1].value } }

        // Full counts are the same in every scheme: take them from the first.
        let full = counts.first ?? FoldCounts(values: values.count, folds: folds)
        let fullDocs = (0..<values.count).map { full.sum(full.docs, $0) }
        let fullTotals = (0..<values.count).map { full.sum(full.totals, $0) }
        let slotTotals = (0..<pairOf.count).map { Float(full.sum(full.slots, $0)) }
        let postings: [[KeyModel.Posting]] = postingSlots.map { slots in
            slots.map { KeyModel.Posting(value: pairOf[$0].value, count: slotTotals[$0]) }
        }

        // Held-out predictions: every example scored by the counts of the other folds, with and without tags,
        // once per scheme.
        var groupPairs = [[(score: Double, correct: Bool)]](repeating: [], count: EvidenceGroup.count)
        let informative = featureNames.map(EvidenceGroup.isInformative)
        let informativeInList = seenLists.map { $0.reduce(0) { $0 + (seenInformative[Int($1)] ? 1 : 0) } }
        // Tag features dropped as rare: not counted as unknown when predicting without tags.
        let tagInformativeDropped = seenLists.map { list in
            list.reduce(0) { $0 + (seenIsTag[Int($1)] && featureIndex[Int($1)] < 0 ? 1 : 0) }
        }
        let step = max(1, examples.count / max(1, options.maximumCalibrationExamples))
        var scores = [Double](repeating: 0, count: values.count)
        var foldDocs = [Double](repeating: 0, count: values.count)
        var foldTotals = [Double](repeating: 0, count: values.count)
        let isTagFeature = featureNames.map { $0.hasPrefix(ResourceFeatures.tagPrefix) }
        for (s, held) in counts.enumerated() {
            // What each slot adds to a score in the folds other than each fold, computed once per scheme
            // rather than once per held-out example (the same log1p of the same count).
            var otherWeights = [Double](repeating: 0, count: pairOf.count * folds)
            for i in otherWeights.indices {
                let c = Double(slotTotals[i / folds] - held.slots[i])
                if c > 0 { otherWeights[i] = log1p(c / KeyModel.smoothing) }
            }
            for (n, e) in examples.enumerated() where n % step == 0 && values.count > 0 {
                let fold = e.folds[s]
                for c in 0..<values.count {
                    foldDocs[c] = fullDocs[c] - held.docs[c * folds + fold]
                    foldTotals[c] = fullTotals[c] - held.totals[c * folds + fold]
                }
                // The count of a (feature, value) slot in the folds other than this example's.
                func others(_ slot: Int) -> Float { slotTotals[slot] - held.slots[slot * folds + fold] }
                let truth = valueIndex[e.value]!
                for includeTags in [true, false] {
                    if includeTags && !e.features.hasTags(besides: key) { continue }
                    for c in 0..<values.count { scores[c] = 0 }
                    var known = 0
                    var informativeKnown: [Int32] = []
                    // Informative features dropped as rare are unknown to any model.
                    var unknown = informativeInList[n] - encoded[n].reduce(0) { $0 + (informative[Int($1)] ? 1 : 0) }
                        + (e.features.opaqueName ? 1 : 0)
                    if !includeTags { unknown -= tagInformativeDropped[n] }
                    for fi in encoded[n] {
                        if !includeTags && isTagFeature[Int(fi)] { continue }
                        var seen = false
                        for slot in postingSlots[Int(fi)] {
                            let c = Double(others(slot))
                            if c > 0 {
                                scores[Int(pairOf[slot].value)] += otherWeights[slot * folds + fold]
                                seen = true
                            }
                        }
                        // A feature only this fold has is unknown to a model trained on the others.
                        if seen {
                            known += 1
                            if informative[Int(fi)] { informativeKnown.append(fi) }
                        } else if informative[Int(fi)] {
                            unknown += 1
                        }
                    }
                    guard known > 0 else { continue }
                    guard let r = KeyModel.rank(
                        scores: &scores, known: known, docs: foldDocs, totals: foldTotals, features: featureNames.count,
                        values: values, excluded: [])
                    else { continue }
                    var support = 0.0
                    for fi in informativeKnown {
                        var mine: Float = 0, all: Float = 0
                        for slot in postingSlots[Int(fi)] {
                            let c = others(slot)
                            all += c
                            if Int(pairOf[slot].value) == r.best { mine = c }
                        }
                        support = max(support, EvidenceGroup.purity(mine: Double(mine), all: Double(all)))
                    }
                    groupPairs[EvidenceGroup.index(hasTags: includeTags, unknown: unknown)]
                        .append((score: EvidenceGroup.score(margin: r.margin, purity: support), correct: r.best == truth))
                }
            }
        }

        return KeyModel(
            values: values, docs: fullDocs, totals: fullTotals, featureNames: featureNames, postings: postings,
            calibrations: groupPairs.map { IsotonicCalibration.fit($0) }, pooled: IsotonicCalibration.fit(groupPairs.flatMap { $0 }))
    }
}

/// Per-fold counts of one fold scheme: examples and feature occurrences per value, and occurrences per
/// (feature, value) slot, each as `[index * folds + fold]`.
struct FoldCounts {
    var folds: Int
    var docs: [Double]
    var totals: [Double]
    var slots: [Float] = []

    init(values: Int, folds: Int) {
        self.folds = folds
        docs = [Double](repeating: 0, count: values * folds)
        totals = [Double](repeating: 0, count: values * folds)
    }

    func sum<T: BinaryFloatingPoint>(_ a: [T], _ i: Int) -> Double { (0..<folds).reduce(0) { $0 + Double(a[i * folds + $1]) } }
}

/// How a model is trained. Defaults suit estates from a hundred to a few hundred thousand resources.
public struct TrainingOptions: Codable, Sendable, Hashable {
    /// Folds for the held-out predictions the calibration is fitted on.
    public var folds: Int
    /// At most this many held-out predictions per key feed the calibration (evenly spread).
    public var maximumCalibrationExamples: Int
    /// Features seen fewer times are not kept.
    public var minimumFeatureCount: Int

    public init(folds: Int = 5, maximumCalibrationExamples: Int = 20_000, minimumFeatureCount: Int = 2) {
        self.folds = max(2, folds)
        self.maximumCalibrationExamples = maximumCalibrationExamples
        self.minimumFeatureCount = max(1, minimumFeatureCount)
    }
}
