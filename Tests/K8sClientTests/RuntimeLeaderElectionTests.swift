import Foundation
import KubeTestServer
import Testing
import VTagTestSupport
@testable import K8sClient

@Suite("Leader election against the API test server")
struct RuntimeLeaderElectionTests {
    func elector(_ client: KubeClient, _ id: String, clock: any RuntimeClock, metrics: TestMetrics = TestMetrics(), release: Bool = true) throws -> LeaderElector {
        try LeaderElector(client: client, .init(
            leaseName: "vtag-leader", leaseNamespace: "default", identity: id, releaseOnCancel: release,
            clock: clock, metricsFactory: metrics))
    }

    /// Waits until `elector` sleeps on `clock` (its only sleeper), advances one retry period (with
    /// room for jitter) and waits for the attempt that follows, so each step is one loop turn.
    func step(_ clock: ManualRuntimeClock, _ elector: LeaderElector) async throws {
        try await eventually("elector asleep") { clock.sleeperCount == 1 }
        let before = elector.attempts
        clock.advance(by: .milliseconds(2_400))
        try await eventually("attempt after a step") { elector.attempts > before }
    }

    @Test func rejectsInconsistentDurations() {
        #expect(throws: KubeClientError.self) {
            try LeaderElector.Configuration(leaseName: "l", leaseNamespace: "n", leaseDuration: .seconds(5), renewDeadline: .seconds(10)).validate()
        }
        #expect(throws: KubeClientError.self) {
            try LeaderElector.Configuration(leaseName: "l", leaseNamespace: "n", renewDeadline: .seconds(2), retryPeriod: .seconds(2)).validate()
        }
    }

    @Test func acquiresAndWritesMicroTimes() async throws {
        try await withRuntimeTestServer { server, client in
            let clock = ManualRuntimeClock()
            let metrics = TestMetrics()
            let a = try elector(client, "a", clock: clock, metrics: metrics)
            let leading = AsyncSignal()
            let run = Task { await a.run { leading.signal(); try await Task.sleep(for: .seconds(3600)) } }
            #expect(await leading.wait(timeout: .seconds(20)))
            #expect(a.isLeader)
            #expect(metrics.value("leader_election_master_status", [("name", "vtag-leader")]) == 1)
            let raw = try #require(server.object(group: "coordination.k8s.io", plural: "leases", namespace: "default", name: "vtag-leader"))
            #expect(raw[path: "spec", "holderIdentity"]?.stringValue == "a")
            #expect(raw[path: "spec", "leaseDurationSeconds"]?.intValue == 15)
            #expect(raw[path: "spec", "leaseTransitions"]?.intValue == 0)
            for field in ["renewTime", "acquireTime"] {
                let s = try #require(raw[path: "spec", field]?.stringValue)
                // RFC 3339 with exactly six fractional digits, as metav1.MicroTime.
                #expect(s.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z/) != nil, "\(field) = \(s)")
            }
            run.cancel()
            #expect(await run.value == .cancelled)
            #expect(metrics.value("leader_election_master_status", [("name", "vtag-leader")]) == 0)
        }
    }

    @Test func standbyTakesOverAtOnceAfterRelease() async throws {
        try await withRuntimeTestServer { server, client in
            let clock = ManualRuntimeClock()
            let a = try elector(client, "a", clock: clock)
            let b = try elector(client, "b", clock: clock)
            let aLeads = AsyncSignal(), bLeads = AsyncSignal()
            let runA = Task { await a.run { aLeads.signal(); try await Task.sleep(for: .seconds(3600)) } }
            #expect(await aLeads.wait(timeout: .seconds(20)))
            let runB = Task { await b.run { bLeads.signal(); try await Task.sleep(for: .seconds(3600)) } }
            defer { runB.cancel() }
            try await eventually("b tried") { b.attempts >= 1 }
            #expect(!b.isLeader)
            #expect(b.observedHolder == "a")
            // A shuts down: it releases the lease.
            runA.cancel()
            #expect(await runA.value == .cancelled)
            let raw = try #require(server.object(group: "coordination.k8s.io", plural: "leases", namespace: "default", name: "vtag-leader"))
            #expect(raw[path: "spec", "holderIdentity"]?.stringValue ?? "" == "")
            #expect(raw[path: "spec", "leaseDurationSeconds"]?.intValue == 1)
            // B takes over on its next retry, long before A's 15 s lease would have expired.
            try await step(clock, b)
            #expect(await bLeads.wait(timeout: .seconds(10)))
            let after = try #require(server.object(group: "coordination.k8s.io", plural: "leases", namespace: "default", name: "vtag-leader"))
            #expect(after[path: "spec", "holderIdentity"]?.stringValue == "b")
            #expect(after[path: "spec", "leaseTransitions"]?.intValue == 1)
        }
    }

    /// A write we did not see (a renewal cancelled by the shutdown after the server applied it, or anyone
    /// else's update) leaves our resourceVersion stale: the release reads the lease again and still gives it away.
    @Test func releaseSucceedsWhenTheLeaseChangedSinceWeLastSawIt() async throws {
        try await withRuntimeTestServer { server, client in
            let clock = ManualRuntimeClock()
            let a = try elector(client, "a", clock: clock)
            let leading = AsyncSignal()
            let run = Task { await a.run { leading.signal(); try await Task.sleep(for: .seconds(3600)) } }
            #expect(await leading.wait(timeout: .seconds(20)))
            let leases = Api<Lease>(client: client, namespace: "default")
            _ = try await leases.patch("vtag-leader", .merge(["metadata": ["labels": ["touched": "by-someone-else"]]]))
            run.cancel()
            #expect(await run.value == .cancelled)
            let raw = try #require(server.object(group: "coordination.k8s.io", plural: "leases", namespace: "default", name: "vtag-leader"))
            #expect(raw[path: "spec", "holderIdentity"]?.stringValue ?? "" == "")
            #expect(raw[path: "metadata", "labels", "touched"]?.stringValue == "by-someone-else")
        }
    }

    @Test func standbyTakesOverWithinTheLeaseDurationAfterTheLeaderDies() async throws {
        try await withRuntimeTestServer { server, client in
            let clock = ManualRuntimeClock()
            let a = try elector(client, "a", clock: clock, release: false)
            let b = try elector(client, "b", clock: clock)
            let aLeads = AsyncSignal()
            let runA = Task { await a.run { aLeads.signal(); try await Task.sleep(for: .seconds(3600)) } }
            #expect(await aLeads.wait(timeout: .seconds(20)))
            let runB = Task { await b.run { try await Task.sleep(for: .seconds(3600)) } }
            defer { runB.cancel() }
            try await eventually("b saw a") { b.attempts >= 1 && b.observedHolder == "a" }
            // A dies without releasing (its last renewal is what B saw).
            let died = clock.now
            runA.cancel()
            _ = await runA.value
            #expect(server.object(group: "coordination.k8s.io", plural: "leases", namespace: "default", name: "vtag-leader")?[path: "spec", "holderIdentity"]?.stringValue == "a")
            var steps = 0
            while !b.isLeader && steps < 20 {
                // Not before the lease (15 s) has run out on B's clock...
                #expect(clock.now - died < .seconds(15), "b must lead once the lease expired")
                try await step(clock, b)
                steps += 1
                if b.isLeader { break }
            }
            #expect(b.isLeader)
            // ...and within one retry period after it did.
            #expect(clock.now - died >= .seconds(15))
            #expect(clock.now - died < .seconds(15) + .milliseconds(2_400))
        }
    }

    @Test func leaderThatCannotRenewStopsItsWork() async throws {
        try await withRuntimeTestServer { server, client in
            let clock = ManualRuntimeClock()
            let a = try elector(client, "a", clock: clock)
            let leading = AsyncSignal()
            let workCancelled = Shared(false)
            let run = Task {
                await a.run {
                    leading.signal()
                    do { try await Task.sleep(for: .seconds(3600)) } catch { workCancelled.with { $0 = true }; throw error }
                }
            }
            #expect(await leading.wait(timeout: .seconds(20)))
            server.faults.forbid(verb: "update", resource: "leases")
            // Renewals fail; after renewDeadline (10 s) of failures the leader gives up.
            let stopped = Shared(false)
            let watcher = Task { _ = await run.value; stopped.with { $0 = true } }
            for _ in 0..<8 where !stopped.value {
                try await eventually("leader asleep or stopped") { clock.sleeperCount == 1 || stopped.value }
                if stopped.value { break }
                let before = a.attempts
                clock.advance(by: .milliseconds(2_400))
                try await eventually("renewal attempt or stop") { a.attempts > before || stopped.value }
            }
            _ = await watcher.value
            #expect(try await withDeadline { await run.value } == .lost)
            #expect(workCancelled.value)
            #expect(!a.isLeader)
        }
    }
}
