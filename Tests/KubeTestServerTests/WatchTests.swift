import Foundation
import KubeCore
import KubeTestServer
import Testing

@Suite("Watch")
struct WatchTests {
    @Test func watchFromResourceVersionReplaysThenStreams() async throws {
        try await withWidgets { _, c in
            let start = try await c.get(widgets).json.rv
            _ = try await c.post(widgets, widget("before"))
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(start)", onOpen: {
                var o = try await c.post(widgets, widget("after")).json
                o["spec"] = ["size": 2]
                _ = try await c.put("\(widgets)/after", o)
                _ = try await c.delete("\(widgets)/after")
            }, stop: { $0.count >= 4 })
            #expect(w.status == 200)
            let types = w.events.map { $0["type"]?.stringValue ?? "" }
            let names = w.events.map { $0[path: "object", "metadata", "name"]?.stringValue ?? "" }
            #expect(types == ["ADDED", "ADDED", "MODIFIED", "DELETED"])
            #expect(names == ["before", "after", "after", "after"])
            let rvs = w.events.compactMap { Int($0[path: "object"]?.rv ?? "") }
            #expect(rvs == rvs.sorted() && Set(rvs).count == 4)
        }
    }

    @Test func watchWithoutResourceVersionStartsWithSyntheticAdded() async throws {
        try await withWidgets { _, c in
            for n in ["b", "a", "c"] { _ = try await c.post(widgets, widget(n)) }
            let w = try await c.watch("\(widgets)?watch=true&allowWatchBookmarks=true", stop: { $0.count >= 4 })
            #expect(w.events.prefix(3).map { $0[path: "object", "metadata", "name"]?.stringValue ?? "" } == ["a", "b", "c"])
            #expect(w.events.prefix(3).allSatisfy { $0["type"] == "ADDED" })
            let bm = try #require(w.events.last)
            #expect(bm["type"] == "BOOKMARK")
            #expect(bm[path: "object", "metadata", "annotations", "k8s.io/initial-events-end"] == "true")
        }
    }

    @Test func tooOldResourceVersionIsAnErrorEvent() async throws {
        try await withWidgets { server, c in
            let old = try await c.post(widgets, widget("a")).json.rv
            _ = try await c.post(widgets, widget("b"))
            server.faults.compact()
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(old)", stop: { !$0.isEmpty })
            #expect(w.status == 200)
            #expect(w.events.count == 1)
            #expect(w.events.first?["type"] == "ERROR")
            #expect(w.events.first?[path: "object", "code"] == 410)
            #expect(w.events.first?[path: "object", "reason"] == "Expired")
            let list = try await c.get("\(widgets)?resourceVersion=\(old)&resourceVersionMatch=Exact")
            #expect(list.status == 410)
        }
    }

    @Test func smallWatchWindowExpiresOldVersions() async throws {
        try await withWidgets(.init(watchWindow: 3)) { _, c in
            let start = try await c.get(widgets).json.rv
            for i in 0..<5 { _ = try await c.post(widgets, widget("w\(i)")) }
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(start)", stop: { !$0.isEmpty })
            #expect(w.events.first?["type"] == "ERROR")
        }
    }

    @Test func bookmarksAndTimeout() async throws {
        try await withWidgets(.init(bookmarkInterval: .milliseconds(200))) { _, c in
            let rv = try await c.get(widgets).json.rv
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(rv)&allowWatchBookmarks=true&timeoutSeconds=1", timeout: .seconds(10))
            // The server ends the stream at timeoutSeconds; bookmarks arrived meanwhile.
            #expect(w.events.count >= 2)
            #expect(w.events.allSatisfy { $0["type"] == "BOOKMARK" })
            let bm = try #require(w.events.first?["object"])
            #expect(bm["kind"] == "Widget")
            #expect(bm[path: "metadata", "resourceVersion"] == .string(rv))
            #expect(bm["spec"] == nil)
        }
    }

    @Test func labelSelectorFiltersWatchEvents() async throws {
        try await withWidgets { _, c in
            let rv = try await c.get(widgets).json.rv
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(rv)&labelSelector=tier%3Dweb", onOpen: {
                _ = try await c.post(widgets, widget("db", labels: ["tier": "db"]))
                var web = try await c.post(widgets, widget("web", labels: ["tier": "web"])).json
                web["metadata"]?["labels"] = ["tier": "db"]
                _ = try await c.put("\(widgets)/web", web)
            }, stop: { $0.count >= 2 })
            #expect(w.events.map { $0["type"]?.stringValue ?? "" } == ["ADDED", "DELETED"])
            #expect(w.events.allSatisfy { $0[path: "object", "metadata", "name"] == "web" })
        }
    }

    @Test func droppedWatchesCloseTheStream() async throws {
        try await withWidgets { server, c in
            let rv = try await c.get(widgets).json.rv
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(rv)", timeout: .seconds(10), onOpen: {
                _ = try await c.post(widgets, widget("x"))
                try await Task.sleep(for: .milliseconds(200))
                server.faults.dropWatches()
            })
            #expect(w.events.count == 1)
            #expect(server.openWatches == 0)
        }
    }

    @Test func eventsQueuedTogetherArriveWholeInOrderBeforeTheEnd() async throws {
        try await withWidgets { _, c in
            let names = (0..<50).map { String(format: "w%02d", $0) }
            let pad = JSONValue.string(String(repeating: "x", count: 600))
            for n in names.reversed() { _ = try await c.post(widgets, widget(n, extra: ["metadata": ["name": .string(n), "annotations": ["pad": pad]]])) }
            // The synthetic ADDED events and the bookmark are queued in one go under the cluster's lock (one write
            // for all of them); the timeout's end comes after them.
            let w = try await c.watch("\(widgets)?watch=1&allowWatchBookmarks=true&timeoutSeconds=1")
            #expect(w.status == 200)
            #expect(w.events.count == names.count + 1)
            #expect(w.events.prefix(names.count).map { $0[path: "object", "metadata", "name"]?.stringValue ?? "" } == names)
            #expect(w.events.prefix(names.count).allSatisfy { $0["type"] == "ADDED" && $0[path: "object", "metadata", "annotations", "pad"] == pad })
            #expect(w.events.last?["type"] == "BOOKMARK")
        }
    }

    @Test func observersSeeEveryStoredChangeOfTheirKindInOrder() async throws {
        try await withWidgets { server, c in
            let seen = Locked<[ObservedChange]>([])
            server.observe(group: "example.test", plural: "widgets") { change in seen.withLock { $0.append(change) } }
            var a = try await c.post(widgets, widget("a")).json
            a["spec"] = ["size": 2]
            _ = try await c.put("\(widgets)/a", a)
            _ = try await c.post("/api/v1/namespaces/default/configmaps", ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "other"]])
            _ = try await c.delete("\(widgets)/a")
            let changes = seen.withLock { $0 }
            #expect(changes.map(\.type) == ["ADDED", "MODIFIED", "DELETED"])
            #expect(changes.allSatisfy { $0.name == "a" && $0.namespace == "default" })
            #expect(changes.map { $0.object[path: "spec", "size"] } == [1, 2, 2])
            let versions = changes.compactMap { Int($0.object.rv) }
            #expect(versions.count == 3 && versions == versions.sorted() && Set(versions).count == 3)
        }
    }
}
