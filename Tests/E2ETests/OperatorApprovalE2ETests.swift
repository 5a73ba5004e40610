// People deciding suggestions end to end, with VTagManager in-process: approving a TagApproval by a
// merge patch of its status applies the tag to the listed resources (source approval); denying
// records the rejection on them, and the value is never suggested to them again, even once the
// approval is gone and the resources are re-evaluated. Against the test server (enforcing manifests/ RBAC:
// the operator as its ServiceAccount, the decisions by a person bound to vtag-approver), or a real cluster
// with VTAG_E2E_KUBECONFIG.
import Foundation
import K8sClient
import Reconcilers
import TaggingAPI
import Testing

@Suite("Operator approval E2E")
struct OperatorApprovalE2ETests {
    @Test func approvingAppliesTheTagAndDenyingRecordsTheRejectionForGood() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "approve", rbac: true) { env, ns in
            let who = try env.identities(in: ns)
            let ruleApi = Api<TaggingRule>(client: env.client, namespace: ns)
            _ = try await ruleApi.create(OperatorE2E.applicationSuggestion(namespace: ns))
            let settings = OperatorE2E.settings(namespace: ns, identity: "approvals")
            try await RunningManager.with(client: who.operatorClient, settings: settings) { running in
                let jobs = Api<DiscoveryJob>(client: env.client, namespace: ns)
                _ = try await jobs.create(env.simulatedJob("estate", count: 300, seed: 11))
                #expect(try await env.eventually(timeout: OperatorE2E.settleBound) {
                    let all = try await env.cloudResources(ns)
                    return all.count == 300 && all.allSatisfy { $0.status?.evaluatedAt != nil }
                })
                // The model is trained soon after discovery and the estate evaluated again with it; its
                // suggestions move meanwhile. Decide once that is over.
                #expect(try await env.eventually(timeout: OperatorE2E.settleBound) { try await running.modelCaughtUpAndSettled() },
                        "the model caught up with the estate and the tagger settled")
                let approvalApi = Api<TagApproval>(client: env.client, namespace: ns)
                // What alice may do with vtag-approver: read approvals, write their status.
                let asApprover = Api<TagApproval>(client: who.approverClient, namespace: ns)
                // Wait for the rule's suggestions to settle into approvals (two groups at least: one to approve, one to deny).
                var pending: [TagApproval] = []
                #expect(try await env.eventually {
                    pending = try await approvalApi.listAll().items.filter {
                        $0.status?.phase == .pending && !$0.spec.resources.isEmpty && $0.spec.rule == "application-from-name"
                    }
                    return Set(pending.map(\.spec.value)).count >= 2
                }, "suggestions became pending TagApprovals")
                pending.sort { $0.spec.resources.count > $1.spec.resources.count }
                let toApprove = try #require(pending.first)
                let toDeny = try #require(pending.first { $0.spec.value != toApprove.spec.value })

                // Approve: a merge patch of the status subresource, as `kubectl patch --subresource=status` sends.
                _ = try await asApprover.patchStatus(toApprove.name, .merge(.object(["status": .object([
                    "decision": "Approved", "reason": "names follow the convention", "decidedBy": "alice",
                ])])))
                #expect(try await env.eventually { try await approvalApi.get(toApprove.name).status?.phase == .applied })
                let approved = try await approvalApi.get(toApprove.name)
                #expect(approved.status?.decision == .approved, "the person's decision is kept")
                #expect(approved.status?.reason == "names follow the convention")
                #expect(approved.status?.decidedBy == "alice")
                #expect(approved.status?.appliedCount == toApprove.spec.resources.count)
                let resourceApi = Api<CloudResource>(client: env.client, namespace: ns)
                for listed in toApprove.spec.resources {
                    let tag = try await resourceApi.get(listed.name).status?.virtualTags?.first { $0.key == toApprove.spec.key }
                    #expect(tag?.value == toApprove.spec.value && tag?.source == .approval && tag?.approval == toApprove.name,
                            "\(listed.name): \(String(describing: tag))")
                }

                // Deny: the rejection lands on every listed resource.
                _ = try await asApprover.patchStatus(toDeny.name, .merge(.object(["status": .object([
                    "decision": "Denied", "reason": "wrong application",
                ])])))
                #expect(try await env.eventually { try await approvalApi.get(toDeny.name).status?.phase == .denied })
                let deniedNames = Set(toDeny.spec.resources.map(\.name))
                for name in deniedNames {
                    let rejected = try await resourceApi.get(name).status?.rejected ?? []
                    #expect(rejected.contains { $0.key == toDeny.spec.key && $0.value == toDeny.spec.value && $0.approval == toDeny.name },
                            "\(name) records the rejection")
                }

                // Nothing is suggested again: the approval goes away and the rule change re-evaluates
                // every resource it can touch; the denied value comes back for none of them, and the
                // approved tag stays.
                _ = try await approvalApi.delete(toDeny.name)
                let edited = try await OperatorE2E.update(ruleApi, "application-from-name") { $0.spec.confidence = 0.81 }
                #expect(try await env.eventually {
                    running.manager.rules.store.get(ObjectKey(edited))?.metadata.generation == edited.metadata.generation
                })
                try await Task.sleep(for: .seconds(1))
                #expect(try await env.eventually { await running.isIdle("cloudresource") }, "the re-evaluation ran")
                try await Task.sleep(for: .seconds(3))
                let group = "\(toDeny.spec.key)=\(toDeny.spec.value) \(toDeny.spec.rule ?? "")"
                let relisted = try await OperatorE2E.listedSuggestions(env, ns)[group]?.names ?? []
                #expect(relisted.isDisjoint(with: deniedNames), "denied resources suggested again: \(relisted.intersection(deniedNames).sorted().prefix(5))")
                for listed in toApprove.spec.resources {
                    let tag = try await resourceApi.get(listed.name).status?.virtualTags?.first { $0.key == toApprove.spec.key }
                    #expect(tag?.source == .approval && tag?.value == toApprove.spec.value)
                }
            }
        }
    }
}
