import Foundation
import KubeCore
import Testing
@testable import K8sClient

extension ClientWidget.Status: WholeStatusPatchable {
    func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("observedGeneration", observedGeneration)
        json.field("phase", phase)
        json.endObject()
    }
}

/// `patchStatus(of:)`: the whole status, sent alone as a merge patch guarded by the object's resourceVersion.
/// A real kube-apiserver takes a resourceVersion inside a patch as a precondition, as in a PUT: the patched
/// object keeps it, and the registry's update refuses it when it is not the stored one (409 Conflict,
/// "the object has been modified; ...", the answer recorded for a stale PUT in transcript 02).
@Suite struct StatusPatchTests {
    @Test func sendsOnlyTheStatusAndRemovesWhatIsAbsent() async throws {
        try await withServer { server, client in
            let api = Api<ClientWidget>(client: client, namespace: "default")
            let name = uniqueName("w")
            var w = try await api.create(ClientWidget(name: name, size: 3))
            w.status = .init(phase: "Ready", observedGeneration: 1)
            w.spec.size = 99
            server.clearRequests()
            let written = try await api.patchStatus(of: w)
            #expect(written.status == .init(phase: "Ready", observedGeneration: 1))
            #expect(written.spec.size == 3)
            #expect(written.metadata.generation == 1)

            let request = try #require(server.requests().last { $0.method == "PATCH" })
            #expect(request.path.hasSuffix("/widgets/\(name)/status"))
            let body = try #require(request.jsonBody)
            #expect(body == ["metadata": ["resourceVersion": .string(w.metadata.resourceVersion ?? "")],
                             "status": ["phase": "Ready", "observedGeneration": 1]])

            // A field the new status lacks is removed, not left as it was.
            var next = written
            next.status = .init(phase: nil, observedGeneration: 1)
            let cleared = try await api.patchStatus(of: next)
            #expect(cleared.status == .init(phase: nil, observedGeneration: 1))
            #expect(try await api.get(name).status?.phase == nil)
        }
    }

    @Test func aStaleResourceVersionIsAConflict() async throws {
        try await withServer { _, client in
            let api = Api<ClientWidget>(client: client, namespace: "default")
            let name = uniqueName("w")
            var stale = try await api.create(ClientWidget(name: name, size: 3))
            var fresh = stale
            fresh.status = .init(phase: "First")
            _ = try await api.patchStatus(of: fresh)

            stale.status = .init(phase: "Second")
            let conflict = await #expect(throws: KubeClientError.self) { try await api.patchStatus(of: stale) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.code == 409)
            #expect("\(conflict.map { "\($0)" } ?? "")".contains("the object has been modified"))
            #expect(try await api.get(name).status?.phase == "First")

            var unread = ClientWidget(name: name, size: 3)
            unread.status = .init(phase: "Third")
            let refused = await #expect(throws: KubeClientError.self) { try await api.patchStatus(of: unread) }
            guard case .invalidRequest(let message)? = refused else { Issue.record("an object without resourceVersion was sent"); return }
            #expect(message.contains("resourceVersion"))
        }
    }

    @Test func throughTheCacheAwareApiTheAnswerIsCachedAndKnownAsOurs() async throws {
        try await withServer { _, client in
            let api = Api<ClientWidget>(client: client, namespace: "default")
            let name = uniqueName("w")
            let store = Store<ClientWidget>()
            let ownWrites = OwnWrites()
            var w = try await api.create(ClientWidget(name: name, size: 3))
            store.noteWrite(w)
            w.status = .init(phase: "Ready")
            let written = try await CacheAwareApi(api, cache: store, ownWrites: ownWrites).patchStatus(of: w)
            #expect(store.get(name: name, namespace: "default") == written)
            #expect(ownWrites.isEcho(written))
            // Written again from the cache: it carries the answer's resourceVersion, so no conflict.
            var again = try #require(store.get(name: name, namespace: "default"))
            again.status?.phase = "Still"
            #expect(try await CacheAwareApi(api, cache: store).patchStatus(of: again).status?.phase == "Still")
        }
    }
}
