import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Testing

/// Client behaviour that must hold against a real API server as much as against the test server.
@Suite("client end to end")
struct ClientE2ETests {
    /// A throwaway CRD with a status subresource (written to a temporary file for the harness).
    static let gadgetCRD: String = {
        let path = NSTemporaryDirectory() + "vtag-e2e-gadgets-\(ProcessInfo.processInfo.processIdentifier).yaml"
        try? ThrowawayCRD(
            group: "e2e.vtag.dev", kind: "Gadget", plural: "gadgets",
            spec: "{type: object, required: [size], properties: {size: {type: integer, minimum: 0}}}",
            status: "{type: object, properties: {phase: {type: string}}}"
        ).yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }()

    struct Gadget: HasStatus {
        static let resource = ResourceDescriptor(group: "e2e.vtag.dev", version: "v1", kind: "Gadget", plural: "gadgets", namespaced: true)
        var apiVersion: String?
        var kind: String?
        var metadata: ObjectMeta
        var spec: Spec
        var status: Status?
        struct Spec: Codable, Sendable, Equatable { var size: Int }
        struct Status: Codable, Sendable, Equatable { var phase: String? }
    }

    @Test func crudAndConflict() async throws {
        try await E2EEnvironment.withNamespace(prefix: "crud") { env, ns in
            let api = Api<ConfigMap>(client: env.client, namespace: ns)
            var cm = try await api.create(ConfigMap(metadata: ObjectMeta(name: "one"), data: ["a": "1"]))
            let exists = await #expect(throws: KubeClientError.self) { try await api.create(ConfigMap(metadata: ObjectMeta(name: "one"))) }
            #expect(exists?.isAlreadyExists == true)
            cm.data = ["a": "2"]
            _ = try await api.replace(cm)
            cm.data = ["a": "3"]
            let conflict = await #expect(throws: KubeClientError.self) { try await api.replace(cm) }
            #expect(conflict?.isConflict == true)
            #expect(try await api.get("one").data == ["a": "2"])
            _ = try await api.delete("one")
            #expect(try await api.getOptional("one") == nil)
        }
    }

    @Test func paginationAndSelectors() async throws {
        try await E2EEnvironment.withNamespace(prefix: "page") { env, ns in
            let api = Api<ConfigMap>(client: env.client, namespace: ns)
            for i in 0..<5 {
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "cm-\(i)", labels: ["tier": i < 2 ? "front" : "back"])))
            }
            let page = try await api.list(ListParams(labelSelector: "tier", limit: 2))
            #expect(page.items.count == 2)
            #expect(page.metadata.continue != nil)
            let all = try await api.listAll(ListParams(labelSelector: "tier", limit: 2))
            #expect(all.items.map(\.name).sorted() == (0..<5).map { "cm-\($0)" })
            #expect(try await api.listAll(ListParams(labelSelector: "tier=front")).items.count == 2)
            #expect(try await api.listAll(ListParams(labelSelector: "tier notin (front)")).items.count == 3)
            #expect(try await api.listAll(ListParams(fieldSelector: "metadata.name=cm-3")).items.map(\.name) == ["cm-3"])
        }
    }

    @Test func patchesAndStatusSubresource() async throws {
        try await E2EEnvironment.withNamespace(crds: [Self.gadgetCRD], prefix: "status") { env, ns in
            let api = Api<Gadget>(client: env.client, namespace: ns)
            var g = try await api.create(Gadget(metadata: ObjectMeta(name: "g"), spec: .init(size: 1)))
            g.status = .init(phase: "Ready")
            g.spec.size = 50
            let afterStatus = try await api.replaceStatus(g)
            #expect(afterStatus.status?.phase == "Ready")
            #expect(afterStatus.spec.size == 1)
            let merged = try await api.patch("g", try .merge(encoding: ["spec": ["size": 2]]))
            #expect(merged.spec.size == 2)
            #expect(merged.status?.phase == "Ready")
            let applied = try await api.patchStatus(
                "g", try .apply(encoding: Gadget(apiVersion: Gadget.resource.apiVersion, kind: Gadget.resource.kind, metadata: ObjectMeta(name: "g"), spec: .init(size: 2), status: .init(phase: "Applied"))),
                .apply("e2e-status", force: true))
            #expect(applied.status?.phase == "Applied")
            let jsonPatched = try await api.patch("g", .json([JSONPatchOperation(op: "replace", path: "/spec/size", value: .int(7))]))
            #expect(jsonPatched.spec.size == 7)
        }
    }

    @Test func watcherSeesChangesInOrder() async throws {
        try await E2EEnvironment.withNamespace(prefix: "watch") { env, ns in
            let api = Api<ConfigMap>(client: env.client, namespace: ns)
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "before")))
            var events = Watcher(api: api, config: WatcherConfig(timeoutSeconds: 20, initialBackoff: .milliseconds(50))).makeAsyncIterator()
            guard case .restarted(let initial)? = try await events.next() else { Issue.record("no initial list"); return }
            #expect(initial.map(\.name) == ["before"])
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "after")))
            guard case .applied(let added)? = try await events.next() else { Issue.record("no ADDED"); return }
            #expect(added.name == "after")
            _ = try await api.delete("before")
            guard case .deleted(let gone)? = try await events.next() else { Issue.record("no DELETED"); return }
            #expect(gone.name == "before")
        }
    }

    @Test func watchResumesFromAResourceVersion() async throws {
        try await E2EEnvironment.withNamespace(prefix: "resume") { env, ns in
            let api = Api<ConfigMap>(client: env.client, namespace: ns)
            let first = try await api.create(ConfigMap(metadata: ObjectMeta(name: "a")))
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "b")))
            // A watch from a's version replays only what came after it.
            var names: [String] = []
            for try await event in try await api.watch(WatchParams(timeoutSeconds: 5), resourceVersion: first.metadata.resourceVersion) {
                if case .added(let cm) = event { names.append(cm.name) }
                if !names.isEmpty { break }
            }
            #expect(names == ["b"])
        }
    }
}
