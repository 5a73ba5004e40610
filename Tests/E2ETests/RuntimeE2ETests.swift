// The runtime's "done when" scenario: a toy reconciler that copies each source ConfigMap's data
// into "<name>-copy" keeps every copy right through watch drops, 410s (compaction), write
// conflicts and leader hand-overs. Runs against the test server, or a real cluster with
// VTAG_E2E_KUBECONFIG (fault injection steps need the test server and are skipped there).
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Synchronization
import Testing

/// One "operator process": informers, a controller and an event recorder, run while it leads.
final class CopyOperator: Sendable {
    static let roleLabel = "e2e.vtag.dev/role"
    let namespace: String
    let api: Api<ConfigMap>
    let sources: Informer<ConfigMap>
    let copies: Informer<ConfigMap>
    let controller: Controller
    let elector: LeaderElector
    let recorder: EventRecorder

    init(client: KubeClient, namespace: String, identity: String, releaseOnCancel: Bool = true) throws {
        self.namespace = namespace
        let api = Api<ConfigMap>(client: client, namespace: namespace)
        self.api = api
        let watcher = { (role: String) in
            WatcherConfig(labelSelector: "\(CopyOperator.roleLabel)=\(role)", initialBackoff: .milliseconds(50), maxBackoff: .milliseconds(500))
        }
        let sources = Informer(api: api, watcher: watcher("source"))
        let copies = Informer(api: api, watcher: watcher("copy"))
        let recorder = EventRecorder(client: client, .init(component: "runtime-e2e", instance: identity))
        self.sources = sources
        self.copies = copies
        self.recorder = recorder
        controller = Controller(.init(name: "copy-\(identity)", workers: 3, drainTimeout: .seconds(5))) { key in
            guard let source = sources.store.get(key) else { return .done }  // the copy goes with its owner
            let want = source.data ?? [:]
            let copyName = key.name + "-copy"
            if let copy = copies.store.get(name: copyName, namespace: namespace) {
                if (copy.data ?? [:]) == want { return .done }
                var updated = copy
                updated.data = want
                // Optimistic concurrency: a stale cache answers 409 and the queue retries.
                try await CacheAwareApi(api, cache: copies.store).replace(updated)
            } else {
                guard let owner = source.controllerReference() else { return .done }
                let copy = ConfigMap(
                    metadata: ObjectMeta(name: copyName, namespace: namespace, labels: [CopyOperator.roleLabel: "copy"], ownerReferences: [owner]),
                    data: want)
                try await CacheAwareApi(api, cache: copies.store).create(copy)
            }
            recorder.record(source, reason: "Copied", message: "data copied to \(copyName)")
            return .done
        }
        controller.watch(sources)
        controller.owns(copies, owner: ConfigMap.self)
        elector = try LeaderElector(client: client, .init(
            leaseName: "runtime-e2e", leaseNamespace: namespace, identity: identity,
            leaseDuration: .seconds(2), renewDeadline: .milliseconds(1500), retryPeriod: .milliseconds(250),
            releaseOnCancel: releaseOnCancel))
    }

    /// Campaigns; while leading, runs the informers, the controller and the recorder.
    func run() async -> LeaderElector.Outcome {
        await elector.run {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.sources.run() }
                group.addTask { try await self.copies.run() }
                group.addTask { try await self.controller.run() }
                group.addTask { try await self.recorder.run() }
            }
        }
    }
}

@Suite("Runtime E2E")
struct RuntimeE2ETests {
    static let sourceCount = 5

    func setSources(_ api: Api<ConfigMap>, version: Int) async throws {
        for i in 0..<Self.sourceCount {
            let name = "src-\(i)"
            for attempt in 0..<10 {
                do {
                    if var cm = try await api.getOptional(name) {
                        cm.data = ["version": "\(version)", "index": "\(i)"]
                        _ = try await api.replace(cm)
                    } else {
                        _ = try await api.create(ConfigMap(
                            metadata: ObjectMeta(name: name, labels: [CopyOperator.roleLabel: "source"]),
                            data: ["version": "\(version)", "index": "\(i)"]))
                    }
                    break
                } catch let error as KubeClientError where error.isConflict && attempt < 9 {
                    continue
                }
            }
        }
    }

    /// True when every source has a copy with exactly its data.
    func copiesMatch(_ api: Api<ConfigMap>, version: Int) async throws -> Bool {
        let all = try await api.list().items
        let byName = Dictionary(all.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for i in 0..<Self.sourceCount {
            guard let copy = byName["src-\(i)-copy"], copy.data == ["version": "\(version)", "index": "\(i)"] else { return false }
        }
        return true
    }

    @Test func copyReconcilerSurvivesWatchDropsGoneConflictsAndHandOver() async throws {
        try await E2EEnvironment.withNamespace(prefix: "runtime") { env, ns in
            let api = Api<ConfigMap>(client: env.client, namespace: ns)
            try await setSources(api, version: 0)

            // Process A leads; B waits as a standby.
            let a = try CopyOperator(client: env.client, namespace: ns, identity: "a")
            let b = try CopyOperator(client: env.client, namespace: ns, identity: "b", releaseOnCancel: false)
            let runA = Task { await a.run() }
            #expect(try await env.eventually { a.elector.isLeader })
            let runB = Task { await b.run() }
            defer { runA.cancel(); runB.cancel() }
            #expect(try await env.eventually { try await copiesMatch(api, version: 0) }, "initial copies")
            #expect(!b.elector.isLeader)

            if let server = env.server {
                // Dropped watches: the informers resume and see later changes.
                server.faults.dropWatches()
                try await setSources(api, version: 1)
                #expect(try await env.eventually { try await copiesMatch(api, version: 1) }, "after watch drop")

                // 410 Gone: history compacted, watches cut; the informers relist.
                server.faults.compact()
                server.faults.dropWatches()
                try await setSources(api, version: 2)
                server.faults.compact()
                server.faults.dropWatches()
                #expect(try await env.eventually { try await copiesMatch(api, version: 2) }, "after 410")

                // Conflicts answered by the server to the reconciler's next writes.
                server.faults.failNext(3, status: 409, matching: "/api/v1/namespaces/\(ns)/configmaps/src-")
                try await setSources(api, version: 3)
                #expect(try await env.eventually { try await copiesMatch(api, version: 3) }, "after injected conflicts")
                #expect(server.requests().contains { $0.responseStatus == 409 })
            }

            // A concurrent writer scribbles on the copies while the sources change: real conflicts
            // (stale resourceVersions) and drift the reconciler must undo.
            let writer = Task {
                for round in 0..<30 where !Task.isCancelled {
                    for i in 0..<Self.sourceCount {
                        guard var copy = try? await api.get("src-\(i)-copy") else { continue }
                        copy.data?["tampered"] = "\(round)"
                        _ = try? await api.replace(copy)
                    }
                }
            }
            try await setSources(api, version: 4)
            _ = await writer.value
            #expect(try await env.eventually { try await copiesMatch(api, version: 4) }, "after concurrent writer")

            // Hand-over on release: A shuts down, B takes over at once.
            runA.cancel()
            #expect(await runA.value == .cancelled)
            #expect(try await env.eventually(timeout: .seconds(60)) { b.elector.isLeader }, "b leads after a released")
            try await setSources(api, version: 5)
            #expect(try await env.eventually { try await copiesMatch(api, version: 5) }, "b reconciles")

            // Hand-over on death: B dies without releasing; C takes over once the lease expires.
            runB.cancel()
            _ = await runB.value
            let c = try CopyOperator(client: env.client, namespace: ns, identity: "c")
            let runC = Task { await c.run() }
            defer { runC.cancel() }
            #expect(try await env.eventually(timeout: .seconds(60)) { c.elector.isLeader }, "c leads after b died")
            try await setSources(api, version: 6)
            #expect(try await env.eventually { try await copiesMatch(api, version: 6) }, "c reconciles")

            let events = try await Api<CoreV1Event>(client: env.client, namespace: ns).list().items
            #expect(events.contains { $0.reason == "Copied" })
            runC.cancel()
            _ = await runC.value
        }
    }
}
