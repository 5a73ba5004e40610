import Foundation
import Discovery
import Testing
import TaggingAPI
@testable import Inference

/// The targets of issue 5 on generated estates the inference was never tuned on (tuning used seeds 7-12).
/// 10,000 resources: a mid-size estate (20 teams); on 3,000 the model has too few examples per team to fill
/// 70% with confidences it can stand behind (see the README's figures).
@Suite struct EstateAccuracyTests {
    @Test(arguments: [UInt64(1013), 2029])
    func targetsHoldOnUnseenEstates(seed: UInt64) async {
        // Seconds of CPU in a debug build: run on a thread of its own, not the 2-thread cooperative
        // pool that every other (async) test in the process shares.
        let report = await onOwnThread {
            let estate = EstateGenerator(seed: seed, count: 10_000).generate()
            return Evaluation.run(resources: estate.map(\.spec), known: estate.map(\.truth), options: EvaluationOptions(seed: seed))
        }
        let all = report.overall
        #expect(all.evaluated > 5000)
        // Auto-applied tags are right at least 99% of the time (99.77% and 99.92% measured, session 17).
        #expect(all.appliedPrecision >= 0.99, "applied precision \(all.appliedPrecision)\n\(report.table)")
        // At least 89% of the missing required values are filled, applied or suggested (90.7% and 91.9% measured, session 17).
        #expect(all.filled >= 0.89, "filled \(all.filled)\n\(report.table)")
        // In every confidence bucket with 50 or more predictions, the observed accuracy is no more than 0.05
        // below the bucket's lower bound.
        // At least one of them below auto-apply, so the check is not only of the crowded top buckets (since session
        // 14 fills more of them, 1013 has fewer than 50 predictions in each bucket below suggest).
        let checked = all.calibration.filter { $0.predictions >= 50 }
        #expect(checked.contains { $0.lower >= 0.5 && $0.lower < report.thresholds.autoApply }, "no bucket below auto-apply was checked")
        for b in checked {
            #expect(b.accuracy >= b.lower - 0.05, "bucket [\(b.lower), \(b.upper)): \(b.accuracy) of \(b.predictions)\n\(report.table)")
        }
    }

    /// Issue 17 on estates with what estates written by other people have (identifier spellings, misspelt keys
    /// and values, suffixed names, tags stale after renames, placeholder values: `EstateOptions.realWorld`).
    /// Tuning used seeds 7-12, 4001-4004, 5001-5004, 6001-6004 and 8201 (and 1013 and 2029 were looked at while the
    /// key dependencies were built); these two were first run after session 5's tuning, to be reported, and are kept
    /// so that the figures stay comparable from session to session. Of the later reporting seeds (8202-8204,
    /// 8301-8304) some are short per key (8304: application, see the README), so none is asserted here: asserting
    /// only the ones that pass would choose the test by its result. Not all of the targets are reached (see
    /// the README): missing values filled is asserted at 86% (the issue asks 90%; 90.3% and 89.4% measured on these two, session 17).
    @Test(arguments: [UInt64(8101), 8102])
    func targetsHoldOnUnseenRealWorldEstates(seed: UInt64) async {
        let report = await onOwnThread {
            let estate = EstateGenerator(seed: seed, count: 10_000, options: .realWorld).generate()
            return Evaluation.run(resources: estate.map(\.spec), known: estate.map(\.truth), options: EvaluationOptions(seed: seed))
        }
        let all = report.overall
        #expect(all.evaluated > 5000)
        // 99.88% and 99.77% measured (session 17).
        #expect(all.appliedPrecision >= 0.99, "applied precision \(all.appliedPrecision)\n\(report.table)")
        #expect(all.filled >= 0.86, "filled \(all.filled)\n\(report.table)")
        // Per-key honesty: no key's auto-applied tags are right less than 98% of the time (the issue asks 97%;
        // the lowest measured in session 17 is application, 99.54%).
        // And per key, every confidence bucket with 50 or more predictions is within 0.05 of its lower bound (the
        // worst measured before session 14: env [0.70, 0.80) on 8102, 162 predictions right 69.1%; in session 14
        // every bucket is at or above its lower bound on both).
        for k in report.keys {
            #expect(k.applied > 1000, "\(k.key) applied \(k.applied)")
            #expect(k.appliedPrecision >= 0.98, "\(k.key): applied precision \(k.appliedPrecision)\n\(report.table)")
            #expect(k.calibrationShortfall <= 0.05, "\(k.key): calibration short by \(k.calibrationShortfall)\n\(report.table)")
        }
        let checked = all.calibration.filter { $0.predictions >= CalibrationBucket.checkedPredictions }
        #expect(checked.contains { $0.lower >= 0.5 && $0.lower < report.thresholds.suggest }, "no bucket below suggest was checked")
        #expect(all.calibrationShortfall <= 0.05, "calibration short by \(all.calibrationShortfall)\n\(report.table)")
        for b in checked {
            #expect(b.accuracy >= b.lower - 0.05, "bucket [\(b.lower), \(b.upper)): \(b.accuracy) of \(b.predictions)\n\(report.table)")
        }
    }

    @Test func evaluationIsDeterministicAndWorksWithoutGroundTruth() throws {
        let estate = EstateGenerator(seed: 3031, count: 800).generate()
        let specs = estate.map(\.spec)
        let a = Evaluation.run(resources: specs, options: EvaluationOptions(holdoutShare: 0.3, seed: 5))
        let b = Evaluation.run(resources: specs, options: EvaluationOptions(holdoutShare: 0.3, seed: 5))
        #expect(a == b)
        // Without ground truth only hidden native values are evaluated.
        #expect(a.overall.evaluated == a.overall.hidden)
        #expect(a.overall.hidden > 0)
        let c = Evaluation.run(resources: specs, options: EvaluationOptions(holdoutShare: 0.3, seed: 6))
        #expect(c.overall.hidden != a.overall.hidden || c != a)
        let json = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(EvaluationReport.self, from: json) == a)
        #expect(a.table.contains("application"))
    }
}

/// Runs CPU-bound work on a dedicated thread and awaits its result.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
