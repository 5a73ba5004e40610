import Foundation
import KubeCore
import KubeTestServer
import Testing

/// Continue tokens and exact-revision lists expire with etcd's compaction (410 Expired with an inconsistent
/// continuation); watches resume from the watch cache regardless; ListOptions combinations are refused.
@Suite("Continue token expiry")
struct ContinueTokenExpiryTests {
    func seed(_ c: RawClient, _ n: Int) async throws {
        for i in 0..<n {
            #expect(try await c.post(widgets, widget(String(format: "w-%02d", i))).status == 201)
        }
    }

    @Test func expiredTokenIs410WithAnInconsistentContinuation() async throws {
        try await withWidgets { server, c in
            try await seed(c, 6)
            let first = try await c.get("\(widgets)?limit=2")
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)
            let listRV = first.json.rv
            #expect(try await c.get("\(widgets)?limit=2&continue=\(token)").status == 200)
            _ = try await c.mergePatch("\(widgets)/w-05", ["metadata": ["labels": ["x": "1"]]])

            server.faults.compactStorage()
            let expired = try await c.get("\(widgets)?limit=2&continue=\(token)")
            #expect(expired.status == 410)
            #expect(expired.json["reason"] == "Expired")
            #expect(expired.json["message"]?.stringValue?.hasPrefix("The provided continue parameter is too old to display a consistent list result.") == true)
            let next = try #require(expired.json[path: "metadata", "continue"]?.stringValue)
            let rest = try await c.get("\(widgets)?limit=10&continue=\(next)")
            #expect(rest.status == 200)
            #expect(rest.json.names == ["w-02", "w-03", "w-04", "w-05"])

            #expect(try await c.get("\(widgets)?resourceVersion=\(listRV)&resourceVersionMatch=Exact").status == 410)
            #expect(try await c.get("\(widgets)?resourceVersion=\(listRV)&resourceVersionMatch=NotOlderThan").status == 200)
            // The watch cache still holds the history: the change after the list is replayed.
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(listRV)&timeoutSeconds=1")
            #expect(w.events.map { $0["type"] } == ["MODIFIED"])
        }
    }

    @Test func scheduledCompactionExpiresOldTokens() async throws {
        try await withWidgets(.init(compactionInterval: .milliseconds(300))) { _, c in
            try await seed(c, 3)
            let first = try await c.get("\(widgets)?limit=1")
            let token = try #require(first.json[path: "metadata", "continue"]?.stringValue)
            // Compaction runs every 300 ms and keeps one interval of history: later writes push the token out.
            let expired = await eventually(timeout: .seconds(10)) {
                _ = try? await c.mergePatch("\(widgets)/w-02", ["metadata": ["labels": ["t": .string(UUID().uuidString.prefix(8).lowercased())]]])
                return (try? await c.get("\(widgets)?limit=1&continue=\(token)").status) == 410
            }
            #expect(expired)
        }
    }

    @Test func continueCannotBeCombinedWithResourceVersion() async throws {
        try await withWidgets { _, c in
            try await seed(c, 3)
            let token = try #require(try await c.get("\(widgets)?limit=1").json[path: "metadata", "continue"]?.stringValue)
            let withRV = try await c.get("\(widgets)?limit=1&continue=\(token)&resourceVersion=1")
            #expect(withRV.status == 400)
            #expect(withRV.json["message"] == "specifying resource version is not allowed when using continue")
            let withMatch = try await c.get("\(widgets)?limit=1&continue=\(token)&resourceVersionMatch=NotOlderThan")
            #expect(withMatch.status == 422)
            #expect(withMatch.json[path: "details", "kind"] == "ListOptions")
            #expect(withMatch.json[path: "details", "causes"]?.arrayValue?.count == 2)
        }
    }

    @Test func sendInitialEventsNeedsNotOlderThan() async throws {
        try await withWidgets { _, c in
            let bad = try await c.get("\(widgets)?watch=1&sendInitialEvents=true&timeoutSeconds=1")
            #expect(bad.status == 422)
            #expect(bad.json["message"] == "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
            #expect(try await c.post(widgets, widget("a")).status == 201)
            // Without allowWatchBookmarks it is accepted, with no end-of-initial-events BOOKMARK.
            let w = try await c.watch("\(widgets)?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=1")
            #expect(w.status == 200)
            #expect(w.events.map { $0["type"] } == ["ADDED"])
        }
    }
}
