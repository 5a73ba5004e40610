import Foundation
@testable import Inference
import TaggingAPI
import Testing

@testable import Reconcilers

/// TagStatus.build without a server: what survives re-evaluation and what history records.
@Suite struct TaggingStatusTests {
    let spec = CloudResourceSpec(provider: "aws", id: "i-1", type: "ec2:instance", name: "web-1")
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func result(_ tags: [InferredTag], missing: [String] = [], model: String? = nil) -> InferenceResult {
        InferenceResult(tags: tags, audits: [], missingKeys: missing, matchedRules: [], modelVersion: model)
    }

    func tag(_ key: String, _ value: String, _ source: TagSource = .rule, decision: TagDecision = .apply, rule: String? = "r") -> InferredTag {
        InferredTag(key: key, value: value, confidence: 0.95, source: source, decision: decision, reason: "because", rule: source == .rule ? rule : nil)
    }

    @Test func unchangedValuesKeepTheirTimeAndChangedOnesAreRecorded() throws {
        let first = TagStatus.build(current: nil, result: result([tag("team", "a"), tag("env", "prod", .native)]), spec: spec,
                                    generation: 1, now: t0, requiredKeys: [])
        #expect(first.changes.map(\.action) == [.applied, .applied])
        #expect(first.status.virtualTags?.map(\.key) == ["env", "team"])
        #expect(first.status.virtualTags?.allSatisfy { $0.appliedAt == t0 } == true)

        let later = t0.addingTimeInterval(60)
        let second = TagStatus.build(current: first.status, result: result([tag("team", "b"), tag("env", "prod", .native)]), spec: spec,
                                     generation: 1, now: later, requiredKeys: [])
        let tags = Dictionary(uniqueKeysWithValues: (second.status.virtualTags ?? []).map { ($0.key, $0) })
        #expect(tags["env"]?.appliedAt == t0)
        #expect(tags["team"]?.appliedAt == later)
        #expect(second.changes == [TagStatus.Change(action: .changed, key: "team", old: "a", new: "b", actor: "rule/r", source: .rule)])
        #expect(second.status.history?.last == TagHistoryEntry(time: later, action: .changed, key: "team", old: "a", new: "b", actor: "rule/r"))
        // Conditions keep their transition time while their status holds.
        #expect(second.status.conditions?.find("Tagged")?.lastTransitionTime == t0)

        // The same result again is the same status: nothing to write.
        let third = TagStatus.build(current: second.status, result: result([tag("team", "b"), tag("env", "prod", .native)]), spec: spec,
                                    generation: 1, now: later.addingTimeInterval(60), requiredKeys: [])
        #expect(third.status == second.status)
        #expect(third.changes.isEmpty)
    }

    /// A model retrained on a grown estate rewords its reasons and moves its confidences a little: not worth a
    /// write. A new value, a tag gained or lost, a confidence that moved by `confidenceDrift` or more, or a rule's
    /// reworded reason is.
    @Test func aLearnedTagsDriftIsNotWorthAWriteButAnyRealChangeIs() {
        func learned(_ value: String, _ confidence: Double, _ reason: String) -> InferredTag {
            InferredTag(key: "owner", value: value, confidence: confidence, source: .model, decision: .apply, reason: reason)
        }
        let first = TagStatus.build(
            current: nil, result: result([learned("ana", 0.93, "went with team=a on 20 of 21"), tag("env", "prod")], model: "v1"),
            spec: spec, generation: 1, now: t0, requiredKeys: []).status
        func next(_ tags: [InferredTag], model: String = "v2") -> CloudResourceStatus {
            TagStatus.build(current: first, result: result(tags, model: model), spec: spec, generation: 1,
                            now: t0.addingTimeInterval(60), requiredKeys: []).status
        }
        #expect(!TagStatus.needsWrite(next([learned("ana", 0.93, "went with team=a on 20 of 21"), tag("env", "prod")]), over: first),
                "a new model version alone")
        let drift = next([learned("ana", 0.96, "went with team=a on 400 of 410"), tag("env", "prod")])
        #expect(drift != first)
        #expect(!TagStatus.needsWrite(drift, over: first), "reworded counts and a confidence 0.03 higher")
        #expect(TagStatus.needsWrite(next([learned("ana", 0.99, "went with team=a on 4000 of 4001"), tag("env", "prod")]), over: first),
                "a confidence 0.06 higher")
        #expect(TagStatus.needsWrite(next([learned("bo", 0.93, "went with team=a on 20 of 21"), tag("env", "prod")]), over: first))
        #expect(TagStatus.needsWrite(next([tag("env", "prod")]), over: first), "a tag lost")
        #expect(TagStatus.needsWrite(next([learned("ana", 0.93, "went with team=a on 20 of 21"), tag("env", "prod"), tag("team", "a")]),
                                     over: first), "a tag gained")
        var reworded = tag("env", "prod")
        reworded.reason = "the rule now says why differently"
        #expect(TagStatus.needsWrite(next([learned("ana", 0.93, "went with team=a on 20 of 21"), reworded]), over: first),
                "only learned tags drift")
        #expect(TagStatus.needsWrite(first, over: nil))
    }

    @Test func suggestionsAreNotAppliedAndMissingKeysMakeItNonCompliant() {
        let built = TagStatus.build(
            current: nil, result: result([tag("owner", "x", .model, decision: .suggest)], missing: ["owner"], model: "v1.3"), spec: spec,
            generation: 4, now: t0, requiredKeys: ["owner"])
        #expect(built.status.virtualTags == [])
        #expect(built.status.tagCount == 0)
        #expect(built.status.missingKeys == ["owner"])
        #expect(built.status.conditions?.find("Tagged")?.status == .false)
        let compliant = built.status.conditions?.find("Compliant")
        #expect(compliant?.status == .false && compliant?.reason == "MissingKeys" && compliant?.observedGeneration == 4)
        #expect(built.status.modelVersion == "v1.3")
        #expect(built.status.observedGeneration == 4)
    }

    @Test func historyKeepsTheNewestEntriesWithinTheLimit() {
        var status: CloudResourceStatus?
        for i in 0..<(CloudResourceStatus.historyLimit + 20) {
            status = TagStatus.build(current: status, result: result([tag("team", "v\(i)")]), spec: spec, generation: 1,
                                     now: t0.addingTimeInterval(Double(i)), requiredKeys: []).status
        }
        let history = status?.history ?? []
        #expect(history.count == CloudResourceStatus.historyLimit)
        #expect(history.last?.new == "v\(CloudResourceStatus.historyLimit + 19)")
        #expect(history.first?.new == "v20")
    }

    @Test func rejectedEntriesAreNeverTouched() {
        let rejected = [RejectedTag(key: "owner", value: "bob", approval: "a", reason: "no", rejectedAt: t0)]
        let built = TagStatus.build(current: CloudResourceStatus(rejected: rejected), result: result([]), spec: spec, generation: 1,
                                    now: t0, requiredKeys: [])
        #expect(built.status.rejected == rejected)
    }
}
