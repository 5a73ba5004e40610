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
