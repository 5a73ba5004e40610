import Foundation
import KubeTestServer
import Testing
@testable import K8sClient

@Suite("Informer against the API test server")
struct RuntimeInformerServerTests {
    /// Fast reconnects, so fault tests do not wait out the production backoff.
    static let watcher = WatcherConfig(initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))

    @Test func syncsAndFollowsChanges() async throws {
        try await withRuntimeTestServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            for i in 0..<3 { _ = try await api.create(configMap("cm-\(i)", data: ["i": "\(i)"])) }
            let informer = Informer(api: api, watcher: Self.watcher)
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(await informer.store.waitForSync(timeout: .seconds(20)))
            #expect(Set(informer.store.list().map(\.name)) == ["cm-0", "cm-1", "cm-2"])
            _ = try await api.create(configMap("cm-3"))
            var changed = try await api.get("cm-0")
            changed.data = ["i": "changed"]
            _ = try await api.replace(changed)
            _ = try await api.delete("cm-1")
            try await eventually("cache follows") {
                informer.store.get(name: "cm-3", namespace: "default") != nil
                    && informer.store.get(name: "cm-0", namespace: "default")?.data?["i"] == "changed"
                    && informer.store.get(name: "cm-1", namespace: "default") == nil
            }
        }
    }

    @Test func relistsAfterCompactionAnd410() async throws {
        try await withRuntimeTestServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            _ = try await api.create(configMap("before"))
            // Watches all namespaces (/api/v1/configmaps) so faults aimed at the informer's requests
            // do not touch the test's writes (/api/v1/namespaces/default/configmaps).
            let informer = Informer(api: Api<ConfigMap>.all(client), watcher: Self.watcher)
            let events = Shared<[String]>([])
            informer.addHandler { e in
                switch e {
                case .added(let o, let fromList): events.with { $0.append("add \(o.name) \(fromList)") }
                case .updated(_, let o, let fromList): events.with { $0.append("update \(o.name) \(fromList)") }
                case .deleted(let o): events.with { $0.append("delete \(o.name)") }
                }
            }
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(await informer.store.waitForSync(timeout: .seconds(20)))
            let lists = { server.requests().filter { $0.verb == "list" && $0.resource == "configmaps" && $0.namespace == nil }.count }
            let listsBefore = lists()
            // Cut the watch and keep it from reconnecting while things change and history is
            // compacted: the resume must then answer 410 Gone, and the informer relists.
            server.faults.failNext(1_000_000, status: 503, matching: "/api/v1/configmaps")
            server.faults.dropWatches()
            _ = try await api.create(configMap("during"))
            _ = try await api.delete("before")
            server.faults.compact()
            server.faults.reset()
            try await eventually("cache relisted") {
                informer.store.get(name: "during", namespace: "default") != nil && informer.store.get(name: "before", namespace: "default") == nil
            }
            #expect(lists() > listsBefore)
            // The relist's differences reach the handlers, marked as list events.
            #expect(events.value.contains("add during true"))
            #expect(events.value.contains("delete before"))
        }
    }

    @Test func resumesAfterDroppedWatchWithoutRelisting() async throws {
        try await withRuntimeTestServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let informer = Informer(api: api, watcher: Self.watcher)
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(await informer.store.waitForSync(timeout: .seconds(20)))
            for round in 0..<3 {
                try await eventually("watch open") { server.openWatches > 0 }
                server.faults.dropWatches()
                _ = try await api.create(configMap("after-drop-\(round)"))
                try await eventually("seen after drop \(round)") { informer.store.get(name: "after-drop-\(round)", namespace: "default") != nil }
            }
            #expect(server.requests().filter { $0.verb == "list" && $0.resource == "configmaps" }.count == 1)
        }
    }

    @Test func readYourWritesThroughTheServer() async throws {
        try await withRuntimeTestServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            _ = try await api.create(configMap("mine", data: ["v": "0"]))
            let informer = Informer(api: api, watcher: Self.watcher)
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(await informer.store.waitForSync(timeout: .seconds(20)))
            for v in 1...20 {
                var cm = try #require(informer.store.get(name: "mine", namespace: "default"))
                cm.data = ["v": "\(v)"]
                let written = try await CacheAwareApi(api, cache: informer.store).replace(cm)
                // Immediately after the write, whatever the watch has delivered so far:
                let cached = try #require(informer.store.get(name: "mine", namespace: "default"))
                #expect(!ResourceVersion.isOlder(cached.metadata.resourceVersion, than: written.metadata.resourceVersion))
                #expect(cached.data?["v"] == "\(v)")
                // Writing from the cache never conflicts with our own previous write.
            }
        }
    }

    @Test func indexesAndTransformOnLiveObjects() async throws {
        try await withRuntimeTestServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            for i in 0..<6 {
                var cm = configMap("cm-\(i)", data: ["payload": String(repeating: "x", count: 4096)], labels: ["team": i % 2 == 0 ? "red" : "blue"])
                cm.metadata.annotations = ["note": "big"]
                _ = try await api.create(cm)
            }
            let store = Store<ConfigMap>(
                transform: { cm in
                    var cm = cm
                    cm.data = nil
                    cm.metadata.annotations = nil
                    return cm
                },
                indexes: ["team": { [$0.metadata.labels?["team"] ?? ""] }])
            let informer = Informer(api: api, watcher: Self.watcher, store: store)
            let run = Task { try await informer.run() }
            defer { run.cancel() }
            #expect(await store.waitForSync(timeout: .seconds(20)))
            #expect(store.byIndex("team", "red").count == 3)
            #expect(store.list().allSatisfy { $0.data == nil && $0.metadata.annotations == nil })
            var cm = try await api.get("cm-0")
            cm.metadata.labels = ["team": "blue"]
            _ = try await api.replace(cm)
            try await eventually("index moved") { store.byIndex("team", "blue").count == 4 }
            #expect(store.byIndex("team", "red").count == 2)
        }
    }
}
