import Foundation
import KubeCore
import TaggingAPI
import Testing

@testable import Reconcilers

/// Which TagApproval updates the controller leaves alone though they are not known as the batcher's echo:
/// a pending approval whose list alone moved (a status write would only move `observedGeneration`).
struct ApprovalListMoveTests {
    let t = Date(timeIntervalSince1970: 1_790_000_000)

    func pending(_ names: [String], generation: Int64) -> TagApproval {
        var approval = TagApproval(
            metadata: ObjectMeta(name: "team-ledger", namespace: "default", resourceVersion: "\(generation)", generation: generation),
            spec: TagApprovalSpec(key: "team", value: "ledger", source: .model,
                                  resources: names.map { ApprovalResource(name: $0, confidence: 0.8, reason: "r") }),
            status: TagApprovalStatus(phase: .pending, conditions: [
                Condition(type: VTag.ConditionType.decided, status: .false, observedGeneration: 1, lastTransitionTime: t, reason: "AwaitingDecision"),
            ], observedGeneration: 1))
        approval.metadata.labels = [VTag.Label.managedBy: "vtag"]
        return approval
    }

    @Test func aPendingApprovalWhoseListGrewOrShrankIsLeftAlone() {
        let old = pending(["a"], generation: 1)
        #expect(TagApprovalReconciler.onlyListMoved(from: old, to: pending(["a", "b"], generation: 2)))
        #expect(TagApprovalReconciler.onlyListMoved(from: pending(["a", "b"], generation: 2), to: pending(["b"], generation: 3)))
    }

    @Test func everyOtherChangeIsReconciled() {
        let old = pending(["a"], generation: 1)
        var decided = pending(["a"], generation: 1)
        decided.status?.decision = .approved
        var excluded = pending(["a", "b"], generation: 2)
        excluded.status?.excluded = ["b"]
        var otherValue = pending(["a"], generation: 2)
        otherValue.spec.value = "payments"
        var deleting = pending(["a", "b"], generation: 2)
        deleting.metadata.deletionTimestamp = t
        var relabelled = pending(["a", "b"], generation: 2)
        relabelled.metadata.labels?["team"] = "x"
        var expired = pending(["a", "b"], generation: 2)
        expired.status?.phase = .expired
        var expiredBefore = old
        expiredBefore.status?.phase = .expired
        for (what, new) in [("decision", decided), ("excluded", excluded), ("value", otherValue), ("deletion", deleting),
                            ("labels", relabelled), ("phase", expired)] {
            #expect(!TagApprovalReconciler.onlyListMoved(from: old, to: new), "\(what)")
        }
        #expect(!TagApprovalReconciler.onlyListMoved(from: expiredBefore, to: expired))
    }
}
