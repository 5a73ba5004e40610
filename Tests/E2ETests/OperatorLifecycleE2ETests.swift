// The operator's lifecycle end to end, with VTagManager in-process: readiness waits for the caches,
// two replicas elect one leader and hand over, and a kill in the middle of a discovery run loses
// and duplicates nothing. Against the test server, or a real cluster with VTAG_E2E_KUBECONFIG.
import Foundation
import K8sClient
import Reconcilers
import TaggingAPI
import Testing

@Suite("Operator lifecycle E2E")
struct OperatorLifecycleE2ETests {
    @Test func readinessIsFalseUntilEveryCacheHasSynced() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "ready") { env, ns in
            // On the test server one kind cannot be listed at first, so its cache cannot sync.
            env.server?.faults.forbid(verb: "list", resource: "tagapprovals")
            let synced = NameLog()
            let manager = try VTagManager(client: env.client, settings: OperatorE2E.settings(
                namespace: ns, identity: "ready", onCacheSynced: { synced.append($0) }))
            #expect(!manager.hasSynced)
            #expect(manager.unsyncedCaches == VTagManager.cacheNames)
            let running = RunningManager(manager)
            if env.server != nil {
                #expect(try await env.eventually { Set(synced.all) == ["discoveryjobs", "cloudresources", "taggingrules"] })
                // Still listing tagapprovals: not ready, and it stays so while the list fails.
                try await Task.sleep(for: .seconds(1))
                #expect(!manager.hasSynced)
                #expect(manager.unsyncedCaches == ["tagapprovals"])
                env.server?.faults.reset()
            }
            #expect(try await env.eventually { manager.hasSynced && synced.all.count >= VTagManager.cacheNames.count })
            #expect(Set(synced.all) == Set(VTagManager.cacheNames))
            #expect(synced.all.count == VTagManager.cacheNames.count, "each cache reported once")
            try await running.stop()
        }
    }

    @Test func twoManagersElectOneLeaderAndTheOtherTakesOverWhenItStops() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "elect") { env, ns in
            let election = OperatorE2E.election(ns)
            let a = try RunningManager(client: env.client, settings: OperatorE2E.settings(namespace: ns, identity: "replica-a", election: election))
            #expect(try await env.eventually { a.manager.isLeader })
            let b = try RunningManager(client: env.client, settings: OperatorE2E.settings(namespace: ns, identity: "replica-b", election: election))
            // B campaigns (and keeps its caches) but does not lead or reconcile while A holds the lease.
            #expect(try await env.eventually { (b.manager.elector?.attempts ?? 0) >= 3 && b.manager.hasSynced })
            #expect(!b.manager.isLeader)
            #expect(b.manager.controllers.values.allSatisfy { !$0.isStarted })

            let jobs = Api<DiscoveryJob>(client: env.client, namespace: ns)
            _ = try await jobs.create(env.simulatedJob("first", count: 30))
            #expect(try await env.eventually { try await jobs.get("first").status?.lastRun?.created == 30 })
            let leases = Api<Lease>(client: env.client, namespace: ns)
            #expect(try await leases.get("vtag-e2e-leader").spec?.holderIdentity == "replica-a")
            #expect(!b.manager.isLeader)

            // A stops gracefully and releases the lease: B takes over without waiting for expiry.
            try await a.stop()
            #expect(!a.manager.isLeader)
            #expect(try await env.eventually { b.manager.isLeader })
            #expect(try await leases.get("vtag-e2e-leader").spec?.holderIdentity == "replica-b")

            // B now does the work: a new job is discovered, the first one is left alone.
            _ = try await jobs.create(env.simulatedJob("second", count: 20, seed: 9))
            #expect(try await env.eventually { try await jobs.get("second").status?.lastRun?.created == 20 })
            #expect(try await jobs.get("first").status?.history?.count == 1, "the first job ran once")
            #expect(try await env.cloudResources(ns).count == 50)
            try await b.stop()
        }
    }

    @Test func killedInTheMiddleOfADiscoveryRunTheNextLeaderCompletesItWithoutDuplicates() async throws {
        try await E2EEnvironment.withNamespace(crds: OperatorE2E.crds, prefix: "kill") { env, ns in
            let count = 600
            _ = try await Api<TaggingRule>(client: env.client, namespace: ns).create(OperatorE2E.applicationSuggestion(namespace: ns))
            let approvals = Api<TagApproval>(client: env.client, namespace: ns)
            let election = OperatorE2E.election(ns, releaseOnCancel: false)
            // A's run outlasts the first model's wait (10 s here: while this process's discovery runs, resources
            // wait for the first model that long at most), so suggestions come while it is still going.
            let slow = PacedProvider.factory(pageSize: 25, pause: .milliseconds(1500))
            let a = try RunningManager(client: env.client, settings: OperatorE2E.settings(
                namespace: ns, identity: "doomed", election: election, providers: slow, firstModelWait: .seconds(10)))
            let jobs = Api<DiscoveryJob>(client: env.client, namespace: ns)
            _ = try await jobs.create(env.simulatedJob("estate", count: count))

            // Kill A once part of the estate is written, suggestions are waiting, and a person has just
            // approved one of them; the run is still going.
            #expect(try await env.eventually { try await env.cloudResources(ns).count >= 100 })
            var decided: TagApproval?
            #expect(try await env.eventually {
                decided = try await approvals.listAll().items.first { !$0.spec.resources.isEmpty }
                return decided != nil
            }, "a suggestion became a TagApproval before the kill")
            let approval = try #require(decided)
            _ = try await approvals.patchStatus(approval.name, .merge(.object(["status": .object(["decision": "Approved"])])))
            await a.kill()
            let partial = try await env.cloudResources(ns).count
            let afterKill = try await jobs.get("estate")
            #expect(afterKill.status?.activeRun != nil, "the run was interrupted (activeRun still claimed)")
            #expect(afterKill.status?.lastRun == nil)
            #expect(partial < count)

            // B waits for A's unreleased lease to expire, then resumes the run from the start.
            let b = try RunningManager(client: env.client, settings: OperatorE2E.settings(
                namespace: ns, identity: "successor", election: election, providers: PacedProvider.factory(pageSize: 25, pause: .milliseconds(150))))
            #expect(try await env.eventually(timeout: .seconds(240)) { try await jobs.get("estate").status?.lastRun != nil })
            let job = try await jobs.get("estate")
            let run = try #require(job.status?.lastRun)
            #expect(job.status?.activeRun == nil)
            #expect(run.discovered == count)
            #expect(run.errors == 0)
            // It created only what the killed run had not (a write in flight at the kill may land after `partial` was counted).
            #expect(run.created > 0 && run.created <= count - partial)
            #expect(job.status?.history?.count == 1, "one run, finished once")

            let all = try await env.cloudResources(ns)
            #expect(all.count == count)
            #expect(Set(all.map(\.spec.id)).count == count, "no CloudResource duplicated")
            #expect(try await Api<Lease>(client: env.client, namespace: ns).get("vtag-e2e-leader").spec?.holderIdentity == "successor")

            // The decision made around the kill is carried out: the approval is applied to what it lists
            // (the approval may have grown meanwhile: it lists at least what the person saw).
            #expect(try await env.eventually(timeout: .seconds(240)) { try await approvals.get(approval.name).status?.phase == .applied })
            let applied = try await approvals.get(approval.name)
            #expect(applied.status?.decision == .approved)
            let resourceApi = Api<CloudResource>(client: env.client, namespace: ns)
            for listed in applied.spec.resources {
                let tag = try await resourceApi.get(listed.name).status?.virtualTags?.first { $0.key == approval.spec.key }
                #expect(tag?.source == .approval && tag?.value == approval.spec.value, "\(listed.name) lost the approved tag")
            }
            // Every resource evaluated, and no resource listed twice in a suggestion group.
            #expect(try await env.eventually(timeout: .seconds(240)) {
                try await env.cloudResources(ns).allSatisfy { $0.status?.evaluatedAt != nil }
            })
            for (group, listing) in try await OperatorE2E.listedSuggestions(env, ns) {
                #expect(listing.duplicates == 0, "\(group): a resource listed twice")
            }
            try await b.stop()
        }
    }
}
