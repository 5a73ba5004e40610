import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
@testable import VTagCLI

@Suite("kubectl vtag status / audit")
struct StatusCommandTests {
    func tags(_ keys: [String]) -> [VirtualTag] {
        keys.map { VirtualTag(key: $0, value: "v", source: .rule, confidence: 1, rule: "r", reason: "test") }
    }

    @Test("status counts phases, coverage over evaluated resources, pending approvals, model precision and runs")
    func status() async throws {
        try await TestCluster.with { c in
            let now = Date()
            try await c.resource("i-1", status: CloudResourceStatus(virtualTags: tags(["env", "team"]), missingKeys: [], evaluatedAt: now))
            try await c.resource("i-2", status: CloudResourceStatus(virtualTags: tags(["env"]), missingKeys: ["team"], evaluatedAt: now))
            try await c.resource("i-3", status: CloudResourceStatus(phase: .vanished))
            try await c.approval("m-ok", resources: ["i-1", "i-2"], status: TagApprovalStatus(decision: .approved, excluded: ["i-2"], phase: .applied))
            try await c.approval("m-ok2", value: "web", resources: ["i-1"], status: TagApprovalStatus(decision: .approved, phase: .applied))
            try await c.approval("m-no", value: "data", resources: ["i-1"], status: TagApprovalStatus(decision: .denied, phase: .denied))
            try await c.approval("r-no", value: "x", source: .rule, resources: ["i-1"], status: TagApprovalStatus(decision: .denied))
            try await c.approval("pending-0", key: "owner", value: "ana", resources: ["i-1", "i-2"])
            var job = try await c.api(DiscoveryJob.self).create(DiscoveryJob(
                metadata: ObjectMeta(name: "sim", namespace: c.namespace),
                spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 3))))
            job.status = DiscoveryJobStatus(lastRun: DiscoveryRun(startedAt: now.addingTimeInterval(-60), finishedAt: now, discovered: 3, created: 3, errors: 1))
            _ = try await c.api(DiscoveryJob.self).replaceStatus(job)

            let r = await c.cli(["status", "-o", "json", "--required-keys", "env,team"])
            #expect(r.error == nil, "\(message(r.error))")
            let s = try JSONValue.parseFast(r.out)
            #expect(s["resources"]?.intValue == 3)
            #expect(s["phases"] == ["Active": 2, "Vanished": 1])
            #expect(s["evaluated"]?.intValue == 2)
            #expect(s["compliant"]?.intValue == 1)
            let coverage = s["coverage"]?.arrayValue ?? []
            #expect(coverage.map { $0["tagged"]?.intValue } == [2, 1])
            #expect(s[path: "model", "approved"]?.intValue == 2)
            #expect(s[path: "model", "denied"]?.intValue == 1)
            #expect(abs((s[path: "model", "precision"]?.doubleValue ?? 0) - 0.6667) < 0.0001)
            #expect(s["pendingApprovals"]?.arrayValue?.map { $0["name"]?.stringValue } == ["pending-0"])
            #expect(s["jobs"]?.arrayValue?.first?[path: "lastRun", "errors"]?.intValue == 1)

            let table = await c.cli(["status", "--required-keys", "env,team"])
            #expect(table.out.contains("Resources: 3 (Active 2, Vanished 1); evaluated by the tagger: 2; compliant: 1 (50.0%)"), "\(table.out)")
            #expect(table.out.contains("Model precision on decided suggestions: 66.7% (2 approved, 1 denied"))
            #expect(table.out.contains("pending-0"))
            #expect(table.out.contains("Failed"))
        }
    }

    @Test("status -A reads every namespace; without the CRDs it says they are not installed")
    func allNamespacesAndNoCRDs() async throws {
        try await TestCluster.with { c in
            try await c.resource("i-1")
            let r = await c.cli(["status", "-A", "-o", "json"])
            #expect(r.error == nil, "\(message(r.error))")
            #expect(try JSONValue.parseFast(r.out)["resources"]?.intValue == 1)
        }
        let bare = try await KubeAPITestServer.start(.init())
        let r = await runCLI(["status", "--kubeconfig", bare.kubeconfigPath])
        #expect(message(r.error).contains("the vtag CRDs are not installed"), "\(message(r.error))")
        try await bare.shutdown()
    }

    @Test("audit shows the history with actors, the current virtual tags and the denied values")
    func audit() async throws {
        try await TestCluster.with { c in
            let t0 = Date(timeIntervalSince1970: 1_790_000_000)
            let res = try await c.resource("i-7", status: CloudResourceStatus(
                virtualTags: [VirtualTag(key: "team", value: "payments", source: .approval, confidence: 1, approval: "team-payments-0",
                                         reason: "approved by a person", appliedAt: t0.addingTimeInterval(60))],
                rejected: [RejectedTag(key: "env", value: "dev", approval: "env-dev-0", reason: "it is prod", rejectedAt: t0)],
                history: [
                    TagHistoryEntry(time: t0, action: .rejected, key: "env", new: "dev", actor: "approval/env-dev-0 by bob"),
                    TagHistoryEntry(time: t0.addingTimeInterval(60), action: .applied, key: "team", new: "payments", actor: "approval/team-payments-0 by ana"),
                ]))
            let name = try #require(res.metadata.name)
            let r = await c.cli(["audit", name])
            #expect(r.error == nil, "\(message(r.error))")
            let lines = r.out.split(separator: "\n").map(String.init)
            let rejected = try #require(lines.firstIndex { $0.contains("Rejected") && $0.contains("approval/env-dev-0 by bob") })
            let applied = try #require(lines.firstIndex { $0.contains("Applied") && $0.contains("- -> payments") })
            #expect(rejected < applied, "oldest first")
            #expect(r.out.contains(KubeTime.format(t0)))
            #expect(lines.contains { $0.contains("team") && $0.contains("approval/team-payments-0") && $0.contains("approved by a person") })
            #expect(lines.contains { $0.contains("env") && $0.contains("dev") && $0.contains("it is prod") })

            let json = await c.cli(["audit", name, "-o", "json"])
            let a = try JSONValue.parseFast(json.out)
            #expect(a["history"]?.arrayValue?.count == 2)
            #expect(a["virtualTags"]?.arrayValue?.first?["approval"]?.stringValue == "team-payments-0")
        }
    }
}
