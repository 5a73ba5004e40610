import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing

@testable import Reconcilers

/// The batcher writes suggestions in the background: a tagger's reconcile never waits for a TagApproval
/// write, and a write that fails loses nothing (its resources are fired on `retry` and filed again).
@Suite(.serialized) struct ApprovalBatcherRetryTests {
    @Test func aFailedApprovalWriteIsRetriedThroughTheControllerAndNoSuggestionIsLost() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", TaggingReconcilerTests.ownerSuggestion)
            let tagging = Controller(name: "tagger", workers: 4) { try await h.tagger.reconcile($0) }
            tagging.watch(h.resources, predicate: .notOwnWrite(h.tagger.ownWrites))
            tagging.reconcileOn(h.tagger.batcher.retry)
            // The API server refuses every TagApproval create until the fault is lifted.
            h.server.faults.forbid(verb: "create", resource: "tagapprovals")

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await tagging.run() }
                group.addTask { await h.tagger.batcher.run() }
                defer { group.cancelAll() }

                let specs = (0..<6).map { instanceSpec($0) }
                for spec in specs { try await h.create(spec) }
                let names = Set(specs.map { ResourceNaming.name(provider: $0.provider, id: $0.id) })
                // The tagger is not held up by the refused suggestions: every status is written.
                try await eventually("every resource evaluated", timeout: .seconds(60)) {
                    try await h.resourceApi.listAll().items.filter { names.contains($0.name) && $0.status?.evaluatedAt != nil }.count == names.count
                }
                try await eventually("the batcher tried and was refused", timeout: .seconds(60)) {
                    h.server.requests().contains { $0.verb == "create" && $0.resource == "tagapprovals" }
                }
                #expect(try await h.approvalApi.listAll().items.isEmpty)

                // Once the server takes them, the retried resources are all listed, each once.
                h.server.faults.reset()
                try await eventually("every suggestion written after the fault", timeout: .seconds(60)) {
                    let listed = try await h.approvalApi.listAll().items.flatMap { $0.spec.resources.map(\.name) }
                    return Set(listed) == names
                }
                let listed = try await h.approvalApi.listAll().items.flatMap { $0.spec.resources.map(\.name) }
                #expect(listed.count == names.count, "listed more than once: \(listed.sorted())")
            }
        }
    }

    @Test func filingReturnsAtOnceAndOneRoundWritesTheGroupOnce() async throws {
        try await TaggingHarness.run { h in
            try await h.create(rule: "owner-suggest", TaggingReconcilerTests.ownerSuggestion)
            var keys: [ObjectKey] = []
            for i in 0..<12 { keys.append(h.key(try await h.create(instanceSpec(i)))) }
            h.server.clearRequests()
            for key in keys { _ = try await h.tagger.reconcile(key) }
            // Filed, not written: the reconciles did not wait for the approval.
            #expect(h.writes("tagapprovals").isEmpty)
            #expect(h.tagger.batcher.pendingCount == keys.count)

            await h.tagger.batcher.flush()
            #expect(h.tagger.batcher.pendingCount == 0)
            let writes = h.writes("tagapprovals")
            #expect(writes.count == 1, "\(writes.map { "\($0.verb) \($0.path)" })")
            let approvals = try await h.approvalApi.listAll().items
            #expect(approvals.count == 1)
            #expect(Set(approvals.first?.spec.resources.map(\.name) ?? []) == Set(keys.map(\.name)))

            // Evaluated again with nothing changed: nothing is filed.
            for key in keys { _ = try await h.tagger.reconcile(key) }
            #expect(h.tagger.batcher.pendingCount == 0)
        }
    }

    /// Filings that never stop (a long first discovery) still get written: a round starts `maxLinger` after
    /// the first filing at the latest, while the loop would otherwise wait for a quiet `linger`.
    @Test func aRoundIsWrittenWhileFilingsKeepComing() async throws {
        try await TaggingHarness.run { h in
            let batcher = ApprovalBatcher(client: h.client, approvals: h.approvals.store, linger: .milliseconds(200), maxLinger: .milliseconds(600))
            let group = ApprovalGroup(namespace: h.namespace, key: "owner", value: "team-a", source: .model, rule: nil)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await batcher.run() }
                tasks.addTask {
                    // A filing every 20 ms, far more often than `linger`, until cancelled.
                    var i = 0
                    while !Task.isCancelled {
                        let entry = ApprovalResource(name: "r-\(i)", confidence: 0.8, reason: "learned")
                        batcher.file(SuggestionWant(
                            namespace: h.namespace, resource: entry.name,
                            suggested: [group: .init(entry: entry, addable: true)], modelLoaded: true))
                        i += 1
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
                defer { tasks.cancelAll() }
                try await eventually("an approval written while filings keep coming", timeout: .seconds(60)) {
                    !(try await h.approvalApi.listAll().items.isEmpty)
                }
            }
        }
    }
}
