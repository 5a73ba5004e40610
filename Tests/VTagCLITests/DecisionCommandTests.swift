import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport
@testable import VTagCLI

@Suite("kubectl vtag approve / deny")
struct DecisionCommandTests {
    @Test("approve by name writes only the person's status fields, with --except and --reason, as vtag-approver may")
    func approveByName() async throws {
        try await TestCluster.with { c in
            try await c.approval("team-payments-0", resources: ["res-a", "res-b", "res-c"])
            c.server.clearRequests()
            let r = await c.cli(["approve", "team-payments-0", "--except", "res-b", "--reason", "checked with the team"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.out.contains("tagapproval/team-payments-0 approved: team=payments (model) for 2 of 3 resources, leaving out res-b"), "\(r.out)")

            let status = try #require(try await c.api(TagApproval.self).get("team-payments-0").status)
            #expect(status.decision == .approved)
            #expect(status.reason == "checked with the team")
            #expect(status.excluded == ["res-b"])
            #expect(status.decidedBy == "test-user")
            #expect(status.decidedAt != nil)
            #expect(status.phase == nil, "the operator's fields are left alone")

            // One merge patch on the status subresource holding only the person's fields.
            let patches = c.server.requests().filter { $0.method == "PATCH" }
            #expect(patches.count == 1)
            let patch = try #require(patches.first)
            #expect(patch.subresource == "status")
            #expect(patch.headers["content-type"] == "application/merge-patch+json")
            let fields = Set(patch.jsonBody?["status"]?.objectValue?.keys.map { $0 } ?? [])
            #expect(fields == ["decision", "reason", "excluded", "decidedBy", "decidedAt"])
            #expect(patch.jsonBody?.objectValue?.keys.sorted() == ["status"])

            let policy = try RBACPolicy.load()
            for request in c.rbacRequests() {
                #expect(policy.clusterRole("vtag-approver", allows: request), "vtag-approver may not \(request)")
            }
        }
    }

    @Test("an approval already decided is refused by name, and nothing is written")
    func decidedIsFinal() async throws {
        try await TestCluster.with { c in
            try await c.approval("a-0", resources: ["x"], status: TagApprovalStatus(decision: .denied, decidedBy: "bob"))
            try await c.approval("a-1", resources: ["y"])
            c.server.clearRequests()
            let r = await c.cli(["approve", "a-1", "a-0"])
            let text = message(r.error)
            #expect(text.contains("tagapproval a-0 cannot be changed: it was already Denied by bob"), "\(text)")
            #expect(text.contains("nothing was written"))
            #expect(c.server.requests().allSatisfy { $0.method == "GET" })
            #expect(try await c.api(TagApproval.self).get("a-1").status?.decision == nil)
        }
    }

    @Test("deny -l decides the undecided approvals the selector matches and skips the decided ones")
    func denyBySelector() async throws {
        try await TestCluster.with { c in
            let group = ["vtag.dev/approval-group": "g1"]
            try await c.approval("g1-0", resources: ["x"], labels: group, status: TagApprovalStatus(decision: .approved))
            try await c.approval("g1-1", resources: ["y", "z"], labels: group)
            try await c.approval("other-0", resources: ["w"], labels: ["vtag.dev/approval-group": "g2"])
            let r = await c.cli(["deny", "-l", "vtag.dev/approval-group=g1", "--reason", "wrong team", "-o", "json"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(r.err.contains("skipped 1"))
            let list = try JSONValue.parseFast(r.out)
            #expect(list["items"]?.arrayValue?.compactMap { $0[path: "metadata", "name"]?.stringValue } == ["g1-1"])
            let api = c.api(TagApproval.self)
            #expect(try await api.get("g1-1").status?.decision == .denied)
            #expect(try await api.get("g1-1").status?.reason == "wrong team")
            #expect(try await api.get("g1-0").status?.decision == .approved)
            #expect(try await api.get("other-0").status?.decision == nil)
        }
    }

    @Test("--all with nothing undecided, and an --except naming no listed resource, are refused")
    func nothingToDo() async throws {
        try await TestCluster.with { c in
            let none = await c.cli(["approve", "--all"])
            #expect(message(none.error).contains("no undecided TagApproval in namespace default"))
            try await c.approval("a-0", resources: ["x"])
            let bad = await c.cli(["approve", "a-0", "--except", "nope"])
            #expect(message(bad.error).contains("--except nope: not listed"), "\(message(bad.error))")
            #expect(try await c.api(TagApproval.self).get("a-0").status?.decision == nil)
        }
    }

    @Test("forbidden names the verb, the resource and the role that grants it; not found names the object")
    func errors() async throws {
        try await TestCluster.with { c in
            try await c.approval("a-0", resources: ["x"])
            c.server.faults.forbid(verb: "patch", resource: "tagapprovals/status")
            let r = await c.cli(["approve", "a-0"])
            let text = message(r.error)
            #expect(text.contains("forbidden: you may not patch tagapprovals/status in namespace default"), "\(text)")
            #expect(text.contains("--clusterrole=vtag-approver"))
            c.server.faults.reset()
            let missing = await c.cli(["deny", "nope"])
            #expect(message(missing.error).contains("TagApproval \"nope\" not found in namespace default"), "\(message(missing.error))")
        }
    }

    @Test("name, -l and --all are exclusive")
    func exclusive() async throws {
        for args in [["approve"], ["approve", "x", "--all"], ["deny", "-l", "a=b", "--all"]] {
            #expect(throws: (any Error).self) { _ = try KubectlVTag.parseAsRoot(args) }
        }
    }
}
