import Foundation

/// Trains a KeyModel from scratch: counts every (feature, value) pair per fold, so a prediction for an
/// example can use "all folds but its own" without building separate models, and fits the calibration on
/// those held-out predictions.
struct KeyModelTrainer {
    struct Example {
        var features: ResourceFeatures
        var value: String
        var fold: Int
    }

    var key: String
    var options: TrainingOptions

    func train(_ examples: [Example]) -> KeyModel {
        let folds = options.folds
        let values = Array(Set(examples.map(\.value))).sorted()
        let valueIndex = Dictionary(uniqueKeysWithValues: values.enumerated().map { ($1, $0) })

        // Feature lists, and how often each feature occurs (rare ones are dropped: they cost space, not accuracy).
        let lists = examples.map { $0.features.features(for: key) }
        var occurrences: [String: Int] = [:]
        for list in lists { for f in list { occurrences[f, default: 0] += 1 } }
        let featureNames = occurrences.filter { $0.value >= options.minimumFeatureCount }.keys.sorted()
        let featureIndex = Dictionary(uniqueKeysWithValues: featureNames.enumerated().map { ($1, Int32($0)) })

        // Per-fold counts: pairs[(feature, value)] -> slot; slotCounts[slot * folds + fold].
        var pairSlot: [Int64: Int] = [:]
        var pairOf: [(feature: Int32, value: Int32)] = []
        var slotCounts: [Float] = []
        var docs = [Double](repeating: 0, count: values.count * folds)
        var totals = [Double](repeating: 0, count: values.count * folds)
        var encoded: [[Int32]] = []
        encoded.reserveCapacity(examples.count)
        for (e, list) in zip(examples, lists) {
            let v = valueIndex[e.value]!
            docs[v * folds + e.fold] += 1
            var ids: [Int32] = []
            ids.reserveCapacity(list.count)
            for f in list {
                guard let fi = featureIndex[f] else { continue }
                ids.append(fi)
                let pk = Int64(fi) << 32 | Int64(v)
                let slot: Int
                if let s = pairSlot[pk] {
                    slot = s
                } else {
                    slot = pairOf.count
                    pairSlot[pk] = slot
                    pairOf.append((fi, Int32(v)))
                    slotCounts.append(contentsOf: repeatElement(0, count: folds))
                }
                slotCounts[slot * folds + e.fold] += 1
                totals[v * folds + e.fold] += 1
            }
            encoded.append(ids)
        }

        // Postings per feature, with each posting's slot so fold counts can be subtracted.
        var postingSlots = [[Int]](repeating: [], count: featureNames.count)
        for (slot, pair) in pairOf.enumerated() { postingSlots[Int(pair.feature)].append(slot) }
        for i in postingSlots.indices { postingSlots[i].sort { pairOf[$0].value < pairOf[$1].value } }

        func sumFolds(_ a: [Double], _ i: Int) -> Double { (0..<folds).reduce(0) { $0 + a[i * folds + $1] } }
        let fullDocs = (0..<values.count).map { sumFolds(docs, $0) }
        let fullTotals = (0..<values.count).map { sumFolds(totals, $0) }
        let slotTotals = (0..<pairOf.count).map { slot in (0..<folds).reduce(Float(0)) { $0 + slotCounts[slot * folds + $1] } }
        let postings: [[KeyModel.Posting]] = postingSlots.map { slots in
            slots.map { KeyModel.Posting(value: pairOf[$0].value, count: slotTotals[$0]) }
        }

        // Held-out predictions: every example scored by the counts of the other folds, with and without tags.
        var groupPairs = [[(score: Double, correct: Bool)]](repeating: [], count: EvidenceGroup.count)
        let informative = featureNames.map(EvidenceGroup.isInformative)
        let informativeInList = lists.map { $0.reduce(0) { $0 + (EvidenceGroup.isInformative($1) ? 1 : 0) } }
        // Tag features dropped as rare: not counted as unknown when predicting without tags.
        let tagInformativeDropped = lists.map { list in
            list.reduce(0) { $0 + ($1.hasPrefix(ResourceFeatures.tagPrefix) && featureIndex[$1] == nil ? 1 : 0) }
        }
        let step = max(1, examples.count / max(1, options.maximumCalibrationExamples))
        var scores = [Double](repeating: 0, count: values.count)
        var foldDocs = [Double](repeating: 0, count: values.count)
        var foldTotals = [Double](repeating: 0, count: values.count)
        let isTagFeature = featureNames.map { $0.hasPrefix(ResourceFeatures.tagPrefix) }
        for (n, e) in examples.enumerated() where n % step == 0 && values.count > 0 {
            let fold = e.fold
            for c in 0..<values.count {
                foldDocs[c] = fullDocs[c] - docs[c * folds + fold]
                foldTotals[c] = fullTotals[c] - totals[c * folds + fold]
            }
            let truth = valueIndex[e.value]!
            for includeTags in [true, false] {
                if includeTags && !e.features.hasTags(besides: key) { continue }
                for c in 0..<values.count { scores[c] = 0 }
                var known = 0
                var informativeKnown: [Int32] = []
                // Informative features dropped as rare are unknown to any model.
                var unknown = informativeInList[n] - encoded[n].reduce(0) { $0 + (informative[Int($1)] ? 1 : 0) }
                if !includeTags { unknown -= tagInformativeDropped[n] }
                for fi in encoded[n] {
                    if !includeTags && isTagFeature[Int(fi)] { continue }
                    var seen = false
                    for slot in postingSlots[Int(fi)] {
                        let c = Double(slotTotals[slot] - slotCounts[slot * folds + fold])
                        if c > 0 {
                            scores[Int(pairOf[slot].value)] += log1p(c / KeyModel.smoothing)
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
                        let c = slotTotals[slot] - slotCounts[slot * folds + fold]
                        all += c
                        if Int(pairOf[slot].value) == r.best { mine = c }
                    }
                    support = max(support, EvidenceGroup.purity(mine: Double(mine), all: Double(all)))
                }
                groupPairs[EvidenceGroup.index(hasTags: includeTags, unknown: unknown)]
                    .append((score: EvidenceGroup.score(margin: r.margin, purity: support), correct: r.best == truth))
            }
        }

        return KeyModel(
            values: values, docs: fullDocs, totals: fullTotals, featureNames: featureNames, postings: postings,
            calibrations: groupPairs.map { IsotonicCalibration.fit($0) }, pooled: IsotonicCalibration.fit(groupPairs.flatMap { $0 }))
    }
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
