import Foundation
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// The rules of carrying a decision to one resource's status, without a server.
struct ApprovalDecisionEffectTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func approval(decidedBy: String? = nil, reason: String? = nil) -> TagApproval {
        TagApproval(
            metadata: ObjectMeta(name: "team-ledger", namespace: "default"),
            spec: TagApprovalSpec(key: "team", value: "ledger", source: .model,
                                  resources: [ApprovalResource(name: "a", confidence: 0.8, reason: "r")]),
            status: TagApprovalStatus(decision: .approved, reason: reason, decidedBy: decidedBy))
    }

    func written(_ change: DecisionEffect.Change) throws -> CloudResourceStatus {
        guard case .write(let status) = change else {
            Issue.record("expected a write, got \(change)")
            throw CancellationError()
        }
        return status
    }

    @Test func anUnrecordedDeciderIsUnknownAndAMissingReasonIsLeftOut() throws {
        let effect = DecisionEffect(approval: approval(decidedBy: "  ", reason: nil), decision: .approved, now: now)
        #expect(effect.reasonText == "approved by unknown")
        #expect(effect.actor == "approval/team-ledger by unknown")
        let status = try written(effect.change(nil))
        #expect(status.virtualTags == [VirtualTag(key: "team", value: "ledger", source: .approval, confidence: 1, approval: "team-ledger",
                                                  reason: "approved by unknown", appliedAt: now)])
        #expect(status.tagCount == 1)
    }

    @Test func aLongReasonIsCutToTheSchemaLimit() throws {
        let effect = DecisionEffect(approval: approval(decidedBy: "alice", reason: String(repeating: "x", count: 3000)), decision: .approved, now: now)
        #expect(effect.reasonText.count == 1024)
        #expect(effect.reasonText.hasPrefix("approved by alice: xxx"))
    }

    @Test func replacingAnotherValueIsAChangeInTheHistory() throws {
        let effect = DecisionEffect(approval: approval(decidedBy: "alice"), decision: .approved, now: now)
        let current = CloudResourceStatus(virtualTags: [
            VirtualTag(key: "env", value: "prod", source: .native, confidence: 0.98, reason: "native"),
            VirtualTag(key: "team", value: "search", source: .model, confidence: 0.91, reason: "model"),
        ])
        let status = try written(effect.change(current))
        #expect(status.virtualTags?.map(\.value) == ["prod", "ledger"])
        let entry = try #require(status.history?.last)
        #expect(entry.action == .changed)
        #expect(entry.old == "search")
        #expect(entry.new == "ledger")
        // Applying the result again is not a change.
        #expect(effect.change(status) == .alreadyDone)
    }

    @Test func historyAndRejectedStayWithinTheirLimits() throws {
        let full = (0..<CloudResourceStatus.historyLimit).map {
            TagHistoryEntry(time: now, action: .applied, key: "k\($0)", new: "v", actor: "model")
        }
        let rejected = (0..<CloudResourceStatus.rejectedLimit).map { RejectedTag(key: "team", value: "old-\($0)") }
        let deny = DecisionEffect(approval: approval(decidedBy: "bob"), decision: .denied, now: now)
        let status = try written(deny.change(CloudResourceStatus(rejected: rejected, history: full)))
        #expect(status.history?.count == CloudResourceStatus.historyLimit)
        #expect(status.history?.first?.key == "k1")
        #expect(status.history?.last?.action == .rejected)
        #expect(status.rejected?.count == CloudResourceStatus.rejectedLimit)
        #expect(status.rejected?.first?.value == "old-1")
        #expect(status.rejected?.last == RejectedTag(key: "team", value: "ledger", approval: "team-ledger", reason: "denied by bob", rejectedAt: now))
        #expect(deny.change(status) == .alreadyDone)
    }

    @Test func aManualTagOrAFullTagListIsSkipped() {
        let effect = DecisionEffect(approval: approval(decidedBy: "alice"), decision: .approved, now: now)
        let manual = CloudResourceStatus(virtualTags: [VirtualTag(key: "team", value: "ops", source: .manual, confidence: 1, reason: "manual")])
        guard case .skipped(let why) = effect.change(manual) else { Issue.record("a manual tag must win"); return }
        #expect(why.contains("manual tag team=ops"))
        let many = (0..<CloudResourceStatus.virtualTagsLimit).map { VirtualTag(key: "k\($0)", value: "v", source: .rule, confidence: 1, reason: "r") }
        guard case .skipped = effect.change(CloudResourceStatus(virtualTags: many)) else { Issue.record("no room for one more tag"); return }
        // A person removed the key by hand (an empty manual value) before the tagger caught up.
        guard case .skipped(let removed) = effect.change(nil, manualTags: ["team": ""]) else { Issue.record("an empty manual value must win"); return }
        #expect(removed.contains("removed by hand"))
        // Denials are recorded whatever the manual tags say (they only stop suggestions).
        let deny = DecisionEffect(approval: approval(decidedBy: "bob"), decision: .denied, now: now)
        guard case .write = deny.change(nil, manualTags: ["team": "ops"]) else { Issue.record("a denial is always recorded"); return }
    }
}
