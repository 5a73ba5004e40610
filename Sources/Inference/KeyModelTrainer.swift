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
    var key: String
    var options: TrainingOptions

    /// Trains the model of `set.keys[k]` from the examples labelled with it.
    func train(_ set: TrainingSet, key k: Int) -> KeyModel {
        let folds = options.folds
        let labels = set.labels[k]
        // The examples with a value for the key, in order.
        let members = labels.indices.filter { labels[$0] >= 0 }
        let schemes = members.isEmpty ? 0 : 2
        // Values sorted; a label's number -> its value's index.
        let byName = set.values[k].indices.sorted { set.values[k][$0] < set.values[k][$1] }
        let values = byName.map { set.values[k][$0] }
        var valueOfLabel = [Int](repeating: 0, count: values.count)
        for (i, label) in byName.enumerated() { valueOfLabel[label] = i }
        let truthOf = members.map { valueOfLabel[Int(labels[$0])] }
        // Per scheme, per member: its held-out fold.
        let foldOf = [members.map { Int(set.groupFolds[$0]) }, members.map { Int(set.accountFolds[$0]) }]
        let tagKey = set.tagKey(key)
        let hasTags = members.map { set.hasTags($0, besides: tagKey) }
        let names = set.names

        // Feature lists, and how often each feature occurs (rare ones are dropped: they cost space, not accuracy).
        // Numbered as first seen for this key, then the kept ones renumbered in name order (the seen lists and
        // the tables by seen number replace string lookups below). Member n's list is
        // `seenFlat[seenStarts[n]..<seenStarts[n + 1]]`.
        var seenOf = [Int32](repeating: -1, count: names.count)
        var seenNames: [String] = []
        var seenCounts: [Int] = []
        var seenFlat: [Int32] = []
        var seenStarts: [Int] = [0]
        seenStarts.reserveCapacity(members.count + 1)
        var scratch: [Int32] = []
        let readsLetters = ResourceFeatures.readsLetters(key)
        for i in members {
            scratch.removeAll(keepingCapacity: true)
            set.ids(i, tagKey: tagKey, letters: readsLetters, into: &scratch)
            for g in scratch {
                let known = seenOf[Int(g)]
                if known >= 0 {
                    seenCounts[Int(known)] += 1
                    seenFlat.append(known)
                    continue
                }
                let n = Int32(seenNames.count)
                seenOf[Int(g)] = n
                seenNames.append(names[Int(g)])
                seenCounts.append(1)
                seenFlat.append(n)
            }
            seenStarts.append(seenFlat.count)
        }
        let kept = seenNames.indices.filter { seenCounts[$0] >= options.minimumFeatureCount }.sorted { seenNames[$0] < seenNames[$1] }
        let featureNames = kept.map { seenNames[$0] }
        // Seen number -> index in featureNames, -1 when dropped as rare.
        var featureIndex = [Int32](repeating: -1, count: seenNames.count)
        for (i, g) in kept.enumerated() { featureIndex[g] = Int32(i) }
        let seenInformative = seenNames.map(EvidenceGroup.isInformative)
        let seenIsTag = seenNames.map { $0.hasPrefix(ResourceFeatures.tagPrefix) }

        // Per-fold counts of each scheme (by deployment, by account): pairs[(feature, value)] -> slot;
        // `slots[slot * folds + fold]`. The two schemes as two locals, so that each count is one indexed add.
        var pairOf: [(feature: Int32, value: Int32)] = []
        var byGroup = FoldCounts(values: values.count, folds: folds), byAccount = byGroup
        let groupFold = foldOf[0], accountFold = foldOf[1]
        var pairSlots = PairSlots(features: featureNames.count, values: values.count)
        // Member n's kept features, by index in featureNames: `encoded[encodedStarts[n]..<encodedStarts[n + 1]]`.
        var encoded: [Int32] = []
        encoded.reserveCapacity(seenFlat.count)
        var encodedStarts: [Int] = [0]
        encodedStarts.reserveCapacity(members.count + 1)
        for n in members.indices {
            let v = truthOf[n], gf = groupFold[n], af = accountFold[n]
            byGroup.docs[v * folds + gf] += 1
            byAccount.docs[v * folds + af] += 1
            for g in seenFlat[seenStarts[n]..<seenStarts[n + 1]] {
                let fi = featureIndex[Int(g)]
                guard fi >= 0 else { continue }
                encoded.append(fi)
                var slot = pairSlots.slot(fi, Int32(v))
                if slot < 0 {
                    slot = pairSlots.add(fi, Int32(v))
                    pairOf.append((fi, Int32(v)))
                    byGroup.slots.append(contentsOf: repeatElement(0, count: folds))
                    byAccount.slots.append(contentsOf: repeatElement(0, count: folds))
                }
                byGroup.slots[slot * folds + gf] += 1
                byGroup.totals[v * folds + gf] += 1
                byAccount.slots[slot * folds + af] += 1
                byAccount.totals[v * folds + af] += 1
            }
            encodedStarts.append(encoded.count)
        }
        let counts = schemes == 0 ? [] : [byGroup, byAccount]

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
        // The held-out guesses no name word or tag points at, calibrated apart too (see `AccountGuesses`).
        var accountPairs: [(score: Double, correct: Bool)] = []
        let informative = featureNames.map(EvidenceGroup.isInformative)
        let own = featureNames.map(EvidenceGroup.isOwn)
        let informativeInList = members.indices.map { n in
            seenFlat[seenStarts[n]..<seenStarts[n + 1]].reduce(0) { $0 + (seenInformative[Int($1)] ? 1 : 0) }
        }
        // Tag features dropped as rare: not counted as unknown when predicting without tags.
        let tagInformativeDropped = members.indices.map { n in
            seenFlat[seenStarts[n]..<seenStarts[n + 1]].reduce(0) { $0 + (seenIsTag[Int($1)] && featureIndex[Int($1)] < 0 ? 1 : 0) }
        }
        let step = max(1, members.count / max(1, options.maximumCalibrationExamples))
        var scores = [Double](repeating: 0, count: values.count)
        var baseScores = [Double](repeating: 0, count: values.count)
        // Buffers of the held-out loop, allocated once.
        var baseInformativeKnown: [Int32] = [], informativeKnown: [Int32] = []
        let withAndWithoutTags = [true, false]
        let isTagFeature = featureNames.map { $0.hasPrefix(ResourceFeatures.tagPrefix) }
        // Postings flattened: feature fi's are positions postingStart[fi]..<postingStart[fi + 1] (read without
        // retaining an array per feature).
        var postingStart: [Int] = []
        postingStart.reserveCapacity(featureNames.count + 1)
        var flatSlots: [Int] = []
        flatSlots.reserveCapacity(pairOf.count)
        for list in postingSlots {
            postingStart.append(flatSlots.count)
            flatSlots.append(contentsOf: list)
        }
        postingStart.append(flatSlots.count)
        let flatValues = flatSlots.map { Int(pairOf[$0].value) }
        let positions = flatSlots.count
        // Features seen with many of the values (provider, type, region, common words) carry most postings:
        // their weights are also laid out as one row per fold indexed by value, added in one vector pass
        // instead of scattered posting by posting. A value the feature lacks weighs 0 in its row, and adding
        // 0 changes no score: the scores are the same as the scattered sums.
        let valueCount = values.count
        var denseRow = [Int](repeating: -1, count: featureNames.count)
        var denseRows = 0
        for fi in 0..<featureNames.count where (postingStart[fi + 1] - postingStart[fi]) * 4 >= valueCount && valueCount >= 8 {
            denseRow[fi] = denseRows
            denseRows += 1
        }
        for (s, held) in counts.enumerated() {
            // Per fold (`fold * positions + position`): each posting's count in the other folds, what it adds to a
            // score (the same log1p of the same count) and per feature the sum of those counts in posting order;
            // and per fold the value totals and their logarithms. Computed once per scheme rather than once per
            // held-out example.
            var otherCounts = [Float](repeating: 0, count: positions * folds)
            var otherWeights = [Double](repeating: 0, count: positions * folds)
            var otherAll = [Float](repeating: 0, count: featureNames.count * folds)
            var foldDocs: [[Double]] = []
            var foldLogTotals: [[Double]] = []
            // Dense rows (`(fold * denseRows + row) * valueCount + value`), and whether the feature has any
            // posting in the other folds.
            var denseWeights = [Double](repeating: 0, count: folds * denseRows * valueCount)
            var denseCounts = [Float](repeating: 0, count: folds * denseRows * valueCount)
            var denseSeen = [Bool](repeating: false, count: folds * denseRows)
            for fold in 0..<folds {
                let base = fold * positions
                for (p, slot) in flatSlots.enumerated() {
                    let c = slotTotals[slot] - held.slots[slot * folds + fold]
                    otherCounts[base + p] = c
                    if Double(c) > 0 { otherWeights[base + p] = log1p(Double(c) / KeyModel.smoothing) }
                }
                for fi in 0..<featureNames.count where denseRow[fi] >= 0 {
                    let row = fold * denseRows + denseRow[fi]
                    for p in postingStart[fi]..<postingStart[fi + 1] {
                        denseCounts[row * valueCount + flatValues[p]] = otherCounts[base + p]
                        guard otherCounts[base + p] > 0 else { continue }
                        denseWeights[row * valueCount + flatValues[p]] = otherWeights[base + p]
                        denseSeen[row] = true
                    }
                }
                for fi in 0..<featureNames.count {
                    var all: Float = 0
                    for p in postingStart[fi]..<postingStart[fi + 1] { all += otherCounts[base + p] }
                    otherAll[fold * featureNames.count + fi] = all
                }
                foldDocs.append((0..<values.count).map { fullDocs[$0] - held.docs[$0 * folds + fold] })
                foldLogTotals.append(KeyModel.logTotals(
                    (0..<values.count).map { fullTotals[$0] - held.totals[$0 * folds + fold] }, features: featureNames.count))
            }
            for n in members.indices where n % step == 0 && values.count > 0 {
                let fold = foldOf[s][n]
                let base = fold * positions
                let truth = truthOf[n]
                let ids = encoded[encodedStarts[n]..<encodedStarts[n + 1]]
                // Adds feature fi's postings (their counts in the other folds) to `scores`. A feature only this fold
                // has is unknown to a model trained on the others.
                func add(_ fi: Int32, to scores: inout [Double], known: inout Int, unknown: inout Int, informativeKnown: inout [Int32]) {
                    var seen = false
                    if denseRow[Int(fi)] >= 0 {
                        let row = fold * denseRows + denseRow[Int(fi)]
                        denseWeights.withUnsafeBufferPointer { weights in
                            scores.withUnsafeMutableBufferPointer { scores in
                                let from = weights.baseAddress! + row * valueCount
                                for c in 0..<valueCount { scores[c] += from[c] }
                            }
                        }
                        seen = denseSeen[row]
                    } else {
                        for p in postingStart[Int(fi)]..<postingStart[Int(fi) + 1] where otherCounts[base + p] > 0 {
                            scores[flatValues[p]] += otherWeights[base + p]
                            seen = true
                        }
                    }
                    if seen {
                        known += 1
                        if informative[Int(fi)] { informativeKnown.append(fi) }
                    } else if informative[Int(fi)] {
                        unknown += 1
                    }
                }
                // Tag features come last in every list: the scores of the others are the same with and without
                // tags, added once (in the same order, so the sums are the same).
                var split = ids.endIndex
                while split > ids.startIndex && isTagFeature[Int(ids[split - 1])] { split -= 1 }
                for c in 0..<values.count { baseScores[c] = 0 }
                var baseKnown = 0, baseUnknown = 0
                baseInformativeKnown.removeAll(keepingCapacity: true)
                for fi in ids[..<split] {
                    add(fi, to: &baseScores, known: &baseKnown, unknown: &baseUnknown, informativeKnown: &baseInformativeKnown)
                }
                // Informative features dropped as rare are unknown to any model.
                let droppedInformative = informativeInList[n] - ids.reduce(0) { $0 + (informative[Int($1)] ? 1 : 0) }
                for includeTags in withAndWithoutTags {
                    if includeTags && !hasTags[n] { continue }
                    for c in 0..<values.count { scores[c] = baseScores[c] }
                    var known = baseKnown
                    informativeKnown.removeAll(keepingCapacity: true)
                    informativeKnown.append(contentsOf: baseInformativeKnown)
                    var unknown = droppedInformative + (set.opaqueName[members[n]] ? 1 : 0) + baseUnknown
                    if includeTags {
                        for fi in ids[split...] {
                            add(fi, to: &scores, known: &known, unknown: &unknown, informativeKnown: &informativeKnown)
                        }
                    } else {
                        unknown -= tagInformativeDropped[n]
                    }
                    guard known > 0 else { continue }
                    guard let r = KeyModel.rank(
                        scores: &scores, known: known, docs: foldDocs[fold], logTotals: foldLogTotals[fold],
                        values: values, excluded: [])
                    else { continue }
                    var support = 0.0, ownPurity = 0.0
                    for fi in informativeKnown {
                        var mine: Float = 0
                        if denseRow[Int(fi)] >= 0 {
                            mine = denseCounts[(fold * denseRows + denseRow[Int(fi)]) * valueCount + r.best]
                        } else {
                            for p in postingStart[Int(fi)]..<postingStart[Int(fi) + 1] where flatValues[p] == r.best {
                                mine = otherCounts[base + p]
                            }
                        }
                        let all = otherAll[fold * featureNames.count + Int(fi)]
                        let purity = EvidenceGroup.purity(mine: Double(mine), all: Double(all))
                        support = max(support, purity)
                        if own[Int(fi)] { ownPurity = max(ownPurity, purity) }
                    }
                    let pair = (score: EvidenceGroup.score(margin: r.margin, purity: support), correct: r.best == truth)
                    groupPairs[EvidenceGroup.index(hasTags: includeTags, unknown: unknown)].append(pair)
                    if ownPurity < AccountGuesses.ownEvidence { accountPairs.append(pair) }
                }
            }
        }

        let calibrations = IsotonicCalibration.fit(groups: groupPairs)
        return KeyModel(
            values: values, docs: fullDocs, totals: fullTotals, featureNames: featureNames, postings: postings,
            calibrations: calibrations.groups, pooled: calibrations.pooled, accountGuesses: IsotonicCalibration.fit(accountPairs))
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
