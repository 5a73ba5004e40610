/// Maps a raw model score to the probability that the prediction is right, fitted on predictions for
/// examples the model did not learn from (isotonic regression, pool-adjacent-violators).
/// A step function: `upperBounds[i]` is the highest raw score of step i, `accuracies[i]` its confidence.
public struct IsotonicCalibration: Codable, Sendable, Hashable {
    public var upperBounds: [Double]
    public var accuracies: [Double]
    /// Examples the fit saw; with none, `confidence` is 0 (an uncalibrated model is never trusted).
    public var examples: Int
    /// The lowest score the fit saw: below it the model is on ground it was never checked on, and gets 0.
    public var lowestScore: Double

    public init(upperBounds: [Double] = [], accuracies: [Double] = [], examples: Int = 0, lowestScore: Double = 0) {
        self.upperBounds = upperBounds
        self.accuracies = accuracies
        self.examples = examples
        self.lowestScore = lowestScore
    }

    /// Smallest number of examples behind one step. Small on purpose: a wide step lends the accuracy of
    /// its crowded part to scores it barely saw (the weak-evidence end, where the resources nobody tagged
    /// gather), while a small step's lower bound is low by itself.
    static let minimumStep = 5

    /// Fits a non-decreasing step function to (score, correct) pairs. Each step's confidence is a lower
    /// bound of its accuracy (Wilson, one-sided 95%): the resources inference fills are not quite like the
    /// ones it is checked on, so a step claims only what its evidence supports. A step whose bound falls
    /// below the one beneath it (fewer examples, same or better accuracy) is raised to it, never the
    /// other way round: a thin step high up must not drag down the well-measured ones below.
    public static func fit(_ pairs: [(score: Double, correct: Bool)]) -> IsotonicCalibration {
        fit(Scores(pairs))
    }

    /// `fit` of each group of pairs, and of all of them pooled (from the groups' sorted scores: sorting
    /// sorted runs one after the other is a merge).
    static func fit(groups: [[(score: Double, correct: Bool)]]) -> (groups: [IsotonicCalibration], pooled: IsotonicCalibration) {
        let scores = groups.map(Scores.init)
        let pooled = Scores(all: scores.flatMap { $0.all }.sorted(), correct: scores.flatMap { $0.correct }.sorted())
        return (scores.map(fit), fit(pooled))
    }

    /// Pairs as the fit needs them: a block of equal scores needs only how many pairs and how many correct
    /// ones have its score, so the scores are sorted as plain numbers (all, and the correct ones), not as pairs.
    struct Scores {
        var all: [Double]
        var correct: [Double]

        init(all: [Double], correct: [Double]) {
            self.all = all
            self.correct = correct
        }

        init(_ pairs: [(score: Double, correct: Bool)]) {
            all = pairs.map { $0.score }.sorted()
            correct = []
            for p in pairs where p.correct { correct.append(p.score) }
            correct.sort()
        }
    }

    static func fit(_ scores: Scores) -> IsotonicCalibration {
        let sorted = scores.all, correct = scores.correct
        guard !sorted.isEmpty else { return IsotonicCalibration() }
        // Blocks of equal scores first: equal scores must get equal confidence.
        var blocks: [(hi: Double, n: Double, k: Double)] = []
        var c = 0
        for score in sorted {
            if let last = blocks.last, last.hi == score {
                blocks[blocks.count - 1].n += 1
            } else {
                blocks.append((score, 1, 0))
            }
            // Correct pairs of this block's score (the same order, so the same blocks).
            while c < correct.count, correct[c] == blocks[blocks.count - 1].hi {
                blocks[blocks.count - 1].k += 1
                c += 1
            }
        }
        // Pool adjacent violators, also pooling blocks too small to be trusted.
        var stack: [(hi: Double, n: Double, k: Double)] = []
        for b in blocks {
            stack.append(b)
            while stack.count >= 2 {
                let top = stack[stack.count - 1], below = stack[stack.count - 2]
                let violates = below.k / below.n >= top.k / top.n
                let tooSmall = below.n < Double(minimumStep)
                guard violates || tooSmall else { break }
                stack.removeLast(2)
                stack.append((top.hi, top.n + below.n, top.k + below.k))
            }
        }
        // The last step may still be small: pool it into the one below.
        while stack.count >= 2, stack[stack.count - 1].n < Double(minimumStep) {
            let top = stack.removeLast()
            let below = stack.removeLast()
            stack.append((top.hi, top.n + below.n, top.k + below.k))
        }
        var accuracies = stack.map { wilsonLower(correct: $0.k, of: $0.n) }
        for i in accuracies.indices.dropFirst() { accuracies[i] = max(accuracies[i], accuracies[i - 1]) }
        var bounds = stack.map(\.hi)
        bounds[bounds.count - 1] = .infinity
        return IsotonicCalibration(upperBounds: bounds, accuracies: accuracies, examples: sorted.count, lowestScore: sorted[0])
    }

    static func wilsonLower(correct k: Double, of n: Double, z: Double = 1.64) -> Double {
        guard n > 0 else { return 0 }
        let p = k / n
        return (p + z * z / (2 * n) - z * ((p * (1 - p) + z * z / (4 * n)) / n).squareRoot()) / (1 + z * z / n)
    }

    public func confidence(_ score: Double) -> Double {
        guard !accuracies.isEmpty, score >= lowestScore else { return 0 }
        // First step whose upper bound is >= score (binary search).
        var lo = 0, hi = upperBounds.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if upperBounds[mid] >= score { hi = mid } else { lo = mid + 1 }
        }
        return accuracies[lo]
    }

    // JSON has no infinity: the open top bound is encoded as null.
    enum CodingKeys: String, CodingKey { case upperBounds, accuracies, examples, lowestScore }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(upperBounds.map { $0.isFinite ? $0 : nil }, forKey: .upperBounds)
        try c.encode(accuracies, forKey: .accuracies)
        try c.encode(examples, forKey: .examples)
        try c.encode(lowestScore, forKey: .lowestScore)
    }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        upperBounds = try c.decode([Double?].self, forKey: .upperBounds).map { $0 ?? .infinity }
        accuracies = try c.decode([Double].self, forKey: .accuracies)
        examples = try c.decode(Int.self, forKey: .examples)
        lowestScore = try c.decode(Double.self, forKey: .lowestScore)
    }
}
