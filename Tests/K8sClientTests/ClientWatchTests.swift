import Foundation
import KubeCore
import KubeTestServer
import Testing
import VTagTestSupport
@testable import K8sClient

@Suite("watch and Watcher against the test server")
struct ClientWatchTests {
    static let fast = WatcherConfig(timeoutSeconds: 30, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200))

    /// Over HTTP/1.1 requests (the default) and over HTTP/2 ones (`ClientConfiguration.http2`).
    @Test(arguments: [false, true])
    func rawWatchStreamsTypedEvents(http2: Bool) async throws {
        try await withServer(http2: http2) { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let name = uniqueName("raw")
            let start = try await api.list().metadata.resourceVersion
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: name), data: ["v": "1"]))
            _ = try await api.patch(name, .merge(["data": ["v": "2"]]))
            _ = try await api.delete(name)
            try await withDeadline {
                var kinds: [String] = []
                for try await event in try await api.watch(WatchParams(timeoutSeconds: 5), resourceVersion: start) {
                    switch event {
                    case .added(let cm): kinds.append("added:\(cm.data?["v"] ?? "")")
                    case .modified(let cm): kinds.append("modified:\(cm.data?["v"] ?? "")")
                    case .deleted: kinds.append("deleted")
                    case .bookmark: break
                    case .error(let s): kinds.append("error:\(s.code ?? 0)")
                    }
                    if kinds.count == 3 { break }
                }
                #expect(kinds == ["added:1", "modified:2", "deleted"])
            }
            let watch = try #require(server.requests().last { $0.verb == "watch" })
            #expect(watch.query["resourceVersion"] == start)
            #expect(watch.query["allowWatchBookmarks"] == "true")
            #expect(watch.query["timeoutSeconds"] == "5")
            // A watch reads only what it asks for: it goes over an HTTP/1.1 connection of its own (a bounded socket
            // buffer holds what the server sent meanwhile), even when the other requests share the HTTP/2
            // connection, whose per-stream window let 8 MiB of events into the process (`KubeClient.sharedWatchHTTPClient`).
            #expect(watch.httpVersion == "1.1")
            let writes = server.requests().filter { $0.verb == "create" || $0.verb == "patch" || $0.verb == "delete" }
            #expect(writes.count == 3)
            #expect(writes.allSatisfy { $0.httpVersion == (http2 ? "2" : "1.1") })
        }
    }

    @Test func watcherListsThenWatchesAndResumesAfterADroppedConnection() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let label = uniqueName("resume")
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-0", labels: ["run": label])))
            try await withDeadline {
                var config = Self.fast
                config.labelSelector = "run=\(label)"
                config.pageSize = 1
                var events = Watcher(api: api, config: config).makeAsyncIterator()
                guard case .restarted(let initial)? = try await events.next() else { Issue.record("first event is not restarted"); return }
                #expect(initial.map(\.name) == [label + "-0"])

                let a = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-a", labels: ["run": label])))
                guard case .applied(let seenA)? = try await events.next() else { Issue.record("no applied a"); return }
                #expect(seenA.name == a.name)

                server.faults.dropWatches()
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-b", labels: ["run": label])))
                guard case .applied(let seenB)? = try await events.next() else { Issue.record("no applied b after the drop (a relist?)"); return }
                #expect(seenB.name == label + "-b")

                // The watch after the drop resumed from a version at least as new as a's, not from scratch.
                let watches = server.requests().filter { $0.verb == "watch" }
                #expect(watches.count >= 2)
                let resumedFrom = Int(watches.last?.query["resourceVersion"] ?? "") ?? 0
                #expect(resumedFrom >= Int(a.metadata.resourceVersion!)!)
                // One paginated list only: no relist.
                #expect(server.requests().filter { $0.verb == "list" && $0.query["continue"] == nil }.count == 1)
            }
        }
    }

    @Test func watcherRelistsAfterCompaction() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let label = uniqueName("relist")
            try await withDeadline {
                var config = Self.fast
                config.labelSelector = "run=\(label)"
                var events = Watcher(api: api, config: config).makeAsyncIterator()
                guard case .restarted(let initial)? = try await events.next() else { Issue.record("first event is not restarted"); return }
                #expect(initial.isEmpty)
                // Changes happen and history is compacted before the watcher watches: its version is gone.
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-x", labels: ["run": label])))
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-y", labels: ["run": label])))
                server.faults.compact()
                guard case .restarted(let relisted)? = try await events.next() else { Issue.record("no relist after 410"); return }
                #expect(Set(relisted.map(\.name)) == [label + "-x", label + "-y"])
                _ = try await api.delete(label + "-x")
                guard case .deleted(let gone)? = try await events.next() else { Issue.record("no delete after relist"); return }
                #expect(gone.name == label + "-x")
            }
        }
    }

    @Test func watcherRotatesWatchesAtTimeout() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let label = uniqueName("rotate")
            try await withDeadline {
                var config = Self.fast
                config.labelSelector = "run=\(label)"
                config.timeoutSeconds = 1
                var events = Watcher(api: api, config: config).makeAsyncIterator()
                _ = try await events.next()
                // The change comes after the first watch has timed out (1 s): the watcher must have rotated.
                let writer = Task {
                    try await Task.sleep(for: .milliseconds(2500))
                    _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: label + "-late", labels: ["run": label])))
                }
                defer { writer.cancel() }
                guard case .applied(let late)? = try await events.next() else { Issue.record("no event after rotation"); return }
                #expect(late.name == label + "-late")
                let watches = server.requests().filter { $0.verb == "watch" }
                #expect(watches.count >= 2)
                #expect(watches.allSatisfy { $0.query["timeoutSeconds"] == "1" })
            }
        }
    }
}
