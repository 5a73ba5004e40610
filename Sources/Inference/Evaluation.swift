import Foundation
import TaggingAPI

/// How an evaluation hides values and what it measures.
public struct EvaluationOptions: Sendable, Hashable {
    /// Share of the known values of each key hidden from learning, then predicted.
    public var holdoutShare: Double
    /// Decides which values are hidden.
    public var seed: UInt64
    /// Keys evaluated; nil = the config's required keys.
    public var keys: [String]?
    public var config: InferenceConfig
    public var training: TrainingOptions
    /// Whether the report lists every evaluated value (`EvaluationReport.predictions`).
    public var recordPredictions: Bool

    public init(holdoutShare: Double = 0.2, seed: UInt64 = 1, keys: [String]? = nil, config: InferenceConfig = .default,
                training: TrainingOptions = TrainingOptions(), recordPredictions: Bool = false) {
        self.holdoutShare = min(1, max(0, holdoutShare))
        self.seed = seed
        self.keys = keys
        self.config = config
        self.training = training
        self.recordPredictions = recordPredictions
    }
}

/// Predictions whose confidence fell in [lower, upper), and how many were right.
public struct CalibrationBucket: Codable, Sendable, Hashable {
    public var lower: Double
    public var upper: Double
    public var predictions: Int
    public var correct: Int
    /// correct / predictions (0 when empty).
    public var accuracy: Double

    /// Confidence buckets of the report: coarse below the suggest threshold, fine near auto-apply.
    public static let edges: [Double] = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0]
    /// Buckets with fewer predictions are too small to judge calibration by.
    public static let checkedPredictions = 50
}

/// One evaluated value: what inference gave a resource for a key whose true value is known, and whether it
/// was right. Read together they say which evidence is short where (a bucket's figures only say that it is).
public struct EvaluatedPrediction: Codable, Sendable, Hashable {
    public var resource: String
    public var key: String
    public var truth: String
    /// Whether the value was hidden from learning (else the estate lacked it).
    public var hidden: Bool
    /// The prediction, nil when inference had none.
    public var value: String?
    public var confidence: Double?
    public var decision: TagDecision?
    public var source: TagSource?
    public var correct: Bool
    public var reason: String?
}

/// The figures for one key (or all keys, as `key` "*").
public struct KeyEvaluation: Codable, Sendable, Hashable {
    public var key: String
    /// Resources whose value for the key is known (before hiding).
    public var known: Int
    /// Known values hidden from learning.
    public var hidden: Int
    /// Resources without a visible value whose true value is known: what inference is measured on.
    public var evaluated: Int
    public var applied: Int
    public var appliedCorrect: Int
    /// appliedCorrect / applied.
    public var appliedPrecision: Double
    /// applied / evaluated.
    public var appliedCoverage: Double
    public var suggested: Int
    public var suggestedCorrect: Int
    /// suggestedCorrect / suggested.
    public var suggestionPrecision: Double
    /// (applied + suggested) / evaluated: the missing values that were filled or put to a person.
    public var filled: Double
    /// Applied values per source (rule, inherited, model).
    public var appliedBySource: [String: Int]
    public var calibration: [CalibrationBucket]
    /// How far the worst bucket with at least `CalibrationBucket.checkedPredictions` predictions falls below
    /// its lower bound (0 when every such bucket is at or above it): what the key's confidences overstate.
    public var calibrationShortfall: Double
}

/// The result of `Evaluation.run`: per key, overall, and the calibration table.
public struct EvaluationReport: Codable, Sendable, Hashable {
    public var resources: Int
    public var holdoutShare: Double
    public var seed: UInt64
    public var thresholds: Thresholds
    public var modelVersion: String
    public var keys: [KeyEvaluation]
    public var overall: KeyEvaluation
    /// Rules that could not be compiled (they were left out).
    public var ruleErrors: [String]
    /// Every evaluated value, with `EvaluationOptions.recordPredictions` (else nil).
    public var predictions: [EvaluatedPrediction]?
}

/// Measures inference on an estate whose values are known: hides a seeded share of each key's known
/// values, learns from the rest, predicts the hidden (and, with ground truth, the naturally missing)
/// values and compares. Works on any inventory: without `known`, the known values are the normalised
/// native tags.
public enum Evaluation {
    public static func run(
        resources: [CloudResourceSpec], known: [[String: String]]? = nil, rules: [TaggingRule] = [],
        options: EvaluationOptions = EvaluationOptions()
    ) -> EvaluationReport {
        let config = options.config
        let keys = options.keys ?? config.requiredKeys
        let fullNormaliser = TagNormaliser.learning(
            from: resources.lazy.map(\.nativeTags), tables: config.normalisation, requiredKeys: config.requiredKeys)
        let truth: [[String: String]] = known.map { k in
            resources.indices.map { i in i < k.count ? k[i] : [:] }
        } ?? resources.map { fullNormaliser.normalisedValues($0.nativeTags) }

        // Hide: drop every native key that normalises to a hidden key.
        var specs = resources
        var hiddenCount = [String: Int]()
        // Per resource, the keys hidden from it (read when predictions are recorded).
        var hiddenKeys = [Int: [String]]()
        var knownCount = [String: Int]()
        let threshold = UInt64(Double(UInt64.max) * options.holdoutShare)
        for i in specs.indices {
            let visible = fullNormaliser.normalise(specs[i].nativeTags)
            for key in keys {
                guard let t = truth[i][key], !t.isEmpty else { continue }
                knownCount[key, default: 0] += 1
                guard visible[key] != nil, FNV.hash(specs[i].id + "\u{0}" + key, seed: options.seed) < threshold else { continue }
                hiddenCount[key, default: 0] += 1
                if options.recordPredictions { hiddenKeys[i, default: []].append(key) }
                specs[i].nativeTags = specs[i].nativeTags?.filter { fullNormaliser.canonicalKey($0.key) != key }
            }
        }

        let (ruleSet, ruleErrors) = RuleSet.compile(rules, tables: config.normalisation)
        let inputs = specs.map { InferenceInput(spec: $0) }
        let model = EstateInference.learn(inputs, config: config, rules: ruleSet, options: options.training)
        let inferencer = TagInferencer(config: config, rules: ruleSet, model: model)
        let results = EstateInference.infer(inputs, inferencer: inferencer)
        let normaliser = inferencer.normaliser

        var tallies = [String: Tally]()
        var overall = Tally()
        var predictions: [EvaluatedPrediction] = []
        for i in specs.indices {
            let visible = normaliser.normalise(specs[i].nativeTags)
            for key in keys {
                guard let t = truth[i][key], !t.isEmpty, visible[key] == nil else { continue }
                let prediction = results[i].tag(key)
                let correct = prediction.map {
                    Fold.fold(normaliser.canonicalValue($0.value, key: key)) == Fold.fold(normaliser.canonicalValue(t, key: key))
                } ?? false
                tallies[key, default: Tally()].add(prediction, correct: correct)
                overall.add(prediction, correct: correct)
                if options.recordPredictions {
                    predictions.append(EvaluatedPrediction(
                        resource: specs[i].id, key: key, truth: t, hidden: (hiddenKeys[i]?.contains(key)) ?? false,
                        value: prediction?.value, confidence: prediction?.confidence, decision: prediction?.decision,
                        source: prediction?.source, correct: correct, reason: prediction?.reason))
                }
            }
        }
        let perKey = keys.map { key in
            (tallies[key] ?? Tally()).report(key: key, known: knownCount[key] ?? 0, hidden: hiddenCount[key] ?? 0)
        }
        return EvaluationReport(
            resources: resources.count, holdoutShare: options.holdoutShare, seed: options.seed,
            thresholds: config.thresholds, modelVersion: model.version, keys: perKey,
            overall: overall.report(key: "*", known: knownCount.values.reduce(0, +), hidden: hiddenCount.values.reduce(0, +)),
            ruleErrors: ruleErrors.map(\.description), predictions: options.recordPredictions ? predictions : nil)
    }

    struct Tally {
        var evaluated = 0, applied = 0, appliedCorrect = 0, suggested = 0, suggestedCorrect = 0
        var bySource: [String: Int] = [:]
        var buckets = [(n: Int, k: Int)](repeating: (0, 0), count: CalibrationBucket.edges.count - 1)

        mutating func add(_ p: InferredTag?, correct: Bool) {
            evaluated += 1
            guard let p else { return }
            switch p.decision {
            case .apply:
                applied += 1
                if correct { appliedCorrect += 1 }
                bySource[p.source.rawValue, default: 0] += 1
            case .suggest:
                suggested += 1
                if correct { suggestedCorrect += 1 }
            case .discard, .audit: break
            }
            let edges = CalibrationBucket.edges
            var b = edges.count - 2
            while b > 0 && p.confidence < edges[b] { b -= 1 }
            buckets[b].n += 1
            if correct { buckets[b].k += 1 }
        }

        func report(key: String, known: Int, hidden: Int) -> KeyEvaluation {
            func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }
            let edges = CalibrationBucket.edges
            let calibration = buckets.indices.map { b in
                CalibrationBucket(lower: edges[b], upper: edges[b + 1], predictions: buckets[b].n, correct: buckets[b].k,
                                  accuracy: ratio(buckets[b].k, buckets[b].n))
            }
            let shortfall = calibration.filter { $0.predictions >= CalibrationBucket.checkedPredictions }
                .map { $0.lower - $0.accuracy }.max() ?? 0
            return KeyEvaluation(
                key: key, known: known, hidden: hidden, evaluated: evaluated, applied: applied,
                appliedCorrect: appliedCorrect, appliedPrecision: ratio(appliedCorrect, applied),
                appliedCoverage: ratio(applied, evaluated), suggested: suggested, suggestedCorrect: suggestedCorrect,
                suggestionPrecision: ratio(suggestedCorrect, suggested), filled: ratio(applied + suggested, evaluated),
                appliedBySource: bySource, calibration: calibration, calibrationShortfall: max(0, shortfall))
        }
    }
}

extension EvaluationReport {
    /// The report as plain-text tables, for a terminal.
    public var table: String {
        func pct(_ x: Double) -> String { String(format: "%5.1f%%", x * 100) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var out = "resources \(resources), hidden share \(holdoutShare), seed \(seed), model \(modelVersion), "
        out += "auto-apply >= \(thresholds.autoApply), suggest >= \(thresholds.suggest)\n\n"
        out += pad("KEY", 14) + lpad("EVALUATED", 10) + lpad("APPLIED", 9) + lpad("PRECISION", 10) + lpad("COVERAGE", 9)
            + lpad("SUGGESTED", 10) + lpad("PRECISION", 10) + lpad("FILLED", 8) + "\n"
        for k in keys + [overall] {
            out += pad(k.key == "*" ? "all" : k.key, 14) + lpad("\(k.evaluated)", 10) + lpad("\(k.applied)", 9)
                + lpad(pct(k.appliedPrecision), 10) + lpad(pct(k.appliedCoverage), 9) + lpad("\(k.suggested)", 10)
                + lpad(pct(k.suggestionPrecision), 10) + lpad(pct(k.filled), 8) + "\n"
        }
        out += "\nCONFIDENCE     PREDICTIONS  ACCURACY\n"
        for b in overall.calibration {
            out += pad(String(format: "[%.2f, %.2f)", b.lower, b.upper), 15) + lpad("\(b.predictions)", 11)
                + lpad(b.predictions == 0 ? "-" : pct(b.accuracy), 10) + "\n"
        }
        // Per key: accuracy (predictions) per bucket, and how far the worst checked bucket falls short.
        out += "\nPER KEY (accuracy and predictions per confidence bucket; SHORT: worst bucket of "
            + "\(CalibrationBucket.checkedPredictions)+ below its lower bound)\n"
        out += pad("KEY", 14) + overall.calibration.map { lpad(String(format: "%.2f+", $0.lower), 14) }.joined() + lpad("SHORT", 8) + "\n"
        for k in keys {
            out += pad(k.key, 14) + k.calibration.map { b in
                lpad(b.predictions == 0 ? "-" : "\(pct(b.accuracy)) (\(b.predictions))", 14)
            }.joined() + lpad(String(format: "%.3f", k.calibrationShortfall), 8) + "\n"
        }
        if !ruleErrors.isEmpty { out += "\nrules left out:\n" + ruleErrors.map { "  " + $0 }.joined(separator: "\n") + "\n" }
        return out
    }
}
