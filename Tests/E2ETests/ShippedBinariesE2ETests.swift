// What ships is what is tested: the `vtag-operator` and `kubectl-vtag` binaries users run, as separate
// processes, through the whole flow. CI points VTAG_BINARIES at .build/release, so the release build
// (where Swift 6.3.1 miscompiled the approval reconciler's task group) is the one exercised; plain
// `swift test` runs the debug products. Against the in-process test server (enforcing manifests/ RBAC: the
// operator runs as its ServiceAccount, `kubectl vtag approve`/`deny` as a person bound to vtag-approver),
// or a real cluster with VTAG_E2E_KUBECONFIG. VTAG_SCENARIO_COUNT sets the size of each estate (default 1,000).
import Foundation
import K8sClient
import TaggingAPI
import Testing
import VTagTestSupport

@Suite("Shipped binaries E2E")
struct ShippedBinariesE2ETests {
    static let count = ProcessInfo.processInfo.environment["VTAG_SCENARIO_COUNT"].flatMap(Int.init) ?? 1000

    @Test func discoverDecideRestartWithDecisionsSurviveKillNineAndStop() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "shipped", rbac: true) { env, ns in
            let operators = OperatorProcesses(env: env, namespace: ns, identities: try env.identities(in: ns))
            defer { operators.killAll() }
            let jobs = Api<DiscoveryJob>(client: env.client, namespace: ns)
            let approvals = Api<TagApproval>(client: env.client, namespace: ns)
            let resources = Api<CloudResource>(client: env.client, namespace: ns)
            _ = try await Api<TaggingRule>(client: env.client, namespace: ns).create(OperatorE2E.applicationSuggestion(namespace: ns))

            // 1. A simulated estate is discovered and every resource evaluated (and shown Active).
            let first = try await operators.startLeading("first")
            _ = try await jobs.create(env.simulatedJob("estate", count: Self.count, seed: 1301))
            #expect(try await Self.settled(jobs, "estate", resources, expect: Self.count), "first estate:\n\(first.log.tail)")

            // 2. A person approves one suggestion (leaving one resource out) and denies another, with kubectl-vtag.
            let decided = try await Self.decide(operators, approvals)
            let approved = decided.approved, denied = decided.denied
            let left = decided.excluded
            #expect(try await env.eventually(timeout: .seconds(180)) {
                let a = try await approvals.get(approved.name).status
                let d = try await approvals.get(denied.name).status
                return a?.phase == .applied && a?.appliedCount == approved.spec.resources.count - 1 && d?.phase == .denied
            }, "decisions carried out:\n\(first.log.tail)")
            #expect(first.process.isRunning, "the operator survives carrying out decisions:\n\(first.log.tail)")
            for listed in approved.spec.resources where listed.name != left {
                let tag = try await resources.get(listed.name).status?.virtualTags?.first { $0.key == approved.spec.key }
                #expect(tag?.value == approved.spec.value && tag?.source == .approval && tag?.approval == approved.name,
                        "\(listed.name): \(String(describing: tag))")
            }
            #expect(try await resources.get(left).status?.virtualTags?.first { $0.key == approved.spec.key }?.source != .approval,
                    "the excluded resource is left alone")
            for listed in denied.spec.resources {
                let rejected = try await resources.get(listed.name).status?.rejected ?? []
                #expect(rejected.contains { $0.key == denied.spec.key && $0.value == denied.spec.value && $0.approval == denied.name },
                        "\(listed.name) records the denial")
            }

            // 3. SIGTERM: drains, releases the Lease, exits 0.
            #expect(try await first.terminate() == 0, "exit status after SIGTERM:\n\(first.log.tail)")
            #expect(first.log.text.contains("released the lease"))

            // 4. A restart with decided approvals in the cluster: while no operator ran, the person took
            //    the excluded resource back in, so the new replica carries out the decision again.
            _ = try await approvals.patchStatus(approved.name, .merge(.object(["status": .object(["excluded": .null])])))
            let second = try await operators.startLeading("second")
            #expect(try await env.eventually(timeout: .seconds(180)) {
                try await approvals.get(approved.name).status?.appliedCount == approved.spec.resources.count
            }, "the restarted operator carries out the decision:\n\(second.log.tail)")
            let tag = try await resources.get(left).status?.virtualTags?.first { $0.key == approved.spec.key }
            #expect(tag?.value == approved.spec.value && tag?.source == .approval)
            #expect(second.process.isRunning, "the restarted operator stays up with decided approvals:\n\(second.log.tail)")
            #expect(try await approvals.get(denied.name).status?.phase == .denied)

            // 5. kill -9 in the middle of a discovery, and a restart: the run completes, nothing twice.
            let job2 = try await jobs.create(env.simulatedJob("estate-2", count: Self.count, seed: 1302))
            let uid2 = try #require(job2.metadata.uid)
            var createdAtKill = 0
            _ = try await waitUntil(timeout: .seconds(300), poll: .milliseconds(100)) {
                createdAtKill = try await resources.listAll().items.filter { ($0.metadata.ownerReferences ?? []).contains { $0.uid == uid2 } }.count
                return createdAtKill >= Self.count / 10
            }
            try await second.killNow()
            #expect(createdAtKill > 0 && createdAtKill < Self.count, "killed in the middle of the run (\(createdAtKill) of \(Self.count) created)")
            let third = try await operators.startLeading("third")
            #expect(try await Self.settled(jobs, "estate-2", resources, expect: 2 * Self.count), "after kill -9:\n\(third.log.tail)")
            let all = try await resources.listAll().items
            #expect(Set(all.map(\.spec.id)).count == all.count, "one CloudResource per cloud resource")
            #expect(try await jobs.get("estate-2").status?.lastRun?.discovered == Self.count)
            let duplicates = Self.resourcesListedTwice(try await approvals.listAll().items)
            #expect(duplicates.isEmpty, "resources listed twice: \(duplicates.prefix(5))")
            #expect(third.process.isRunning, "\(third.log.tail)")

            // 6. The last replica stops cleanly and leaves the Lease free.
            #expect(try await third.terminate() == 0, "exit status after SIGTERM:\n\(third.log.tail)")
            let holder = try await Api<Lease>(client: env.client, namespace: ns).get(OperatorProcesses.leaseName).spec?.holderIdentity
            #expect(holder == nil || holder == "")
        }
    }

    /// Waits (bounded) until the job's last run has finished and `expect` CloudResources exist, all
    /// evaluated and Active.
    static func settled(_ jobs: Api<DiscoveryJob>, _ job: String, _ resources: Api<CloudResource>, expect: Int) async throws -> Bool {
        try await waitUntil(timeout: .seconds(900), poll: .milliseconds(500)) {
            guard let run = try await jobs.get(job).status?.lastRun, run.finishedAt != nil, run.discovered == Self.count else { return false }
            let all = try await resources.listAll().items
            return all.count == expect && all.allSatisfy { $0.status?.evaluatedAt != nil && $0.status?.phase == .active }
        }
    }

    struct Decided {
        let approved: TagApproval
        let denied: TagApproval
        /// The resource `approve --except` left out: named when the suggestion was picked, since the operator may
        /// list one more resource in the approval before the person's decision reaches it.
        let excluded: String
    }

    /// Picks two pending suggestions of the rule with different values and decides them with
    /// `kubectl-vtag approve` (one resource left out) and `kubectl-vtag deny`. The operator may still move
    /// suggestions while the model catches up, so a pick that vanished before the decision is made again.
    static func decide(_ operators: OperatorProcesses, _ approvals: Api<TagApproval>) async throws -> Decided {
        for _ in 0..<10 {
            var pending: [TagApproval] = []
            _ = try await waitUntil(timeout: .seconds(300), poll: .milliseconds(500)) {
                pending = try await approvals.listAll().items.filter {
                    $0.status?.decision == nil && $0.spec.rule == "application-from-name" && $0.spec.resources.count >= 2
                }
                return Set(pending.map(\.spec.value)).count >= 2
            }
            pending.sort { $0.spec.resources.count > $1.spec.resources.count }
            guard let toApprove = pending.first, let toDeny = pending.first(where: { $0.spec.value != toApprove.spec.value }) else {
                throw E2EError("no two pending suggestions of the rule after 300 s")
            }
            let left = toApprove.spec.resources.last!.name
            let approve = try await operators.kubectlVtag(["approve", toApprove.name, "--reason", "names follow the convention", "--except", left])
            guard approve.status == 0 else { continue }
            let deny = try await operators.kubectlVtag(["deny", toDeny.name, "--reason", "wrong application"])
            guard deny.status == 0 else { throw E2EError("kubectl-vtag deny \(toDeny.name) failed:\n\(deny.output)") }
            return Decided(approved: try await approvals.get(toApprove.name), denied: try await approvals.get(toDeny.name), excluded: left)
        }
        throw E2EError("every pick of a suggestion vanished before kubectl-vtag approve reached it")
    }

    /// Resources listed twice where a suggestion must be unique: in two approvals of one group (key,
    /// value, source, rule), or in two undecided approvals of one key.
    static func resourcesListedTwice(_ approvals: [TagApproval]) -> [String] {
        var seen: [String: Int] = [:]
        for approval in approvals {
            let s = approval.spec
            for listed in s.resources {
                seen["group \(s.key)=\(s.value) \(s.source) \(s.rule ?? "-"): \(listed.name)", default: 0] += 1
                if approval.status?.decision == nil, (approval.status?.phase ?? .pending) == .pending { seen["pending \(s.key): \(listed.name)", default: 0] += 1 }
            }
        }
        return seen.filter { $0.value > 1 }.map(\.key).sorted()
    }
}
