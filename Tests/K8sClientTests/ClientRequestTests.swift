import Foundation
import KubeCore
import KubeTestServer
import Testing
@testable import K8sClient

@Suite("requests through the client")
struct ClientRequestTests {
    @Test func createGetReplaceConflictDelete() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let name = uniqueName("crud")
            var cm = try await api.create(ConfigMap(metadata: ObjectMeta(name: name, labels: ["app": "x"]), data: ["a": "1"]))
            let staleVersion = cm.metadata.resourceVersion
            let again = await #expect(throws: KubeClientError.self) { try await api.create(ConfigMap(metadata: ObjectMeta(name: name))) }
            #expect(again?.isAlreadyExists == true)

            cm.data = ["a": "2"]
            let updated = try await api.replace(cm)
            #expect(updated.data == ["a": "2"])
            #expect(updated.metadata.resourceVersion != staleVersion)

            cm.data = ["a": "3"]  // still carries the old resourceVersion
            let conflict = await #expect(throws: KubeClientError.self) { try await api.replace(cm) }
            #expect(conflict?.isConflict == true)
            #expect(conflict?.code == 409)

            let missing = await #expect(throws: KubeClientError.self) { try await api.get(name + "-nope") }
            #expect(missing?.isNotFound == true)
            #expect(try await api.getOptional(name + "-nope") == nil)

            let wrongUID = await #expect(throws: KubeClientError.self) {
                try await api.delete(name, DeleteParams(preconditions: .init(uid: "not-the-uid")))
            }
            #expect(wrongUID?.isConflict == true)
            _ = try await api.delete(name, DeleteParams(propagationPolicy: .background, preconditions: .init(uid: updated.metadata.uid)))
            #expect(try await api.getOptional(name) == nil)
            let deleteRequest = try #require(server.requests().last { $0.method == "DELETE" && $0.responseStatus == 200 })
            #expect(deleteRequest.jsonBody?["propagationPolicy"] == .string("Background"))
        }
    }

    @Test func listWithSelectorsAndPagination() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let run = uniqueName("page")
            for i in 0..<7 {
                _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: "\(run)-\(i)", labels: ["run": run, "parity": i % 2 == 0 ? "even" : "odd"])))
            }
            let page = try await api.list(ListParams(labelSelector: "run=\(run)", limit: 3))
            #expect(page.items.count == 3)
            #expect(page.metadata.continue?.isEmpty == false)
            server.clearRequests()
            let all = try await api.listAll(ListParams(labelSelector: "run=\(run)", limit: 3))
            #expect(all.items.count == 7)
            #expect(Set(all.items.map(\.name)).count == 7)
            #expect(all.metadata.resourceVersion != nil)
            let lists = server.requests().filter { $0.verb == "list" }
            #expect(lists.count == 3)
            #expect(lists.dropFirst().allSatisfy { $0.query["continue"] != nil })
            let odd = try await api.listAll(ListParams(labelSelector: "run=\(run),parity in (odd)"))
            #expect(odd.items.count == 3)
            let byName = try await api.list(ListParams(fieldSelector: "metadata.name=\(run)-4"))
            #expect(byName.items.map(\.name) == ["\(run)-4"])
        }
    }

    @Test func patchesMergeJSONAndApply() async throws {
        try await withServer { server, client in
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let name = uniqueName("patch")
            _ = try await api.create(ConfigMap(metadata: ObjectMeta(name: name, labels: ["a": "1", "b": "2"]), data: ["k": "v"]))

            let merged = try await api.patch(name, .merge(["metadata": ["labels": ["a": .null, "c": "3"]]]))
            #expect(merged.metadata.labels == ["b": "2", "c": "3"])

            let jsonPatched = try await api.patch(name, .json([.add("/data/k2", "v2"), .remove("/metadata/labels/b")]))
            #expect(jsonPatched.data == ["k": "v", "k2": "v2"])
            #expect(jsonPatched.metadata.labels == ["c": "3"])

            let failedTest = await #expect(throws: KubeClientError.self) { try await api.patch(name, .json([.test("/data/k", "other")])) }
            #expect(failedTest?.isInvalid == true)

            let applied = try await api.patch(
                name, .apply(["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["owned": "yes"]]),
                .apply("vtag-test"))
            #expect(applied.data?["owned"] == "yes")
            let applyRequest = try #require(server.requests().last { $0.method == "PATCH" })
            #expect(applyRequest.query["fieldManager"] == "vtag-test")
            #expect(applyRequest.headers["content-type"] == "application/apply-patch+yaml")

            let noManager = await #expect(throws: KubeClientError.self) { try await api.patch(name, .apply(["data": [:]])) }
            guard case .invalidRequest = noManager else { Issue.record("apply without fieldManager was sent"); return }
        }
    }

    @Test func statusSubresourceOfACustomResource() async throws {
        try await withServer { server, client in
            let api = Api<ClientWidget>(client: client, namespace: "default")
            let name = uniqueName("w")
            var w = try await api.create(ClientWidget(name: name, size: 3))
            #expect(w.metadata.generation == 1)
            w.status = .init(phase: "Ready", observedGeneration: 1)
            w.spec.size = 99  // ignored by /status
            let afterStatus = try await api.replaceStatus(w)
            #expect(afterStatus.status?.phase == "Ready")
            #expect(afterStatus.spec.size == 3)
            #expect(afterStatus.metadata.generation == 1)

            let patched = try await api.patchStatus(name, .merge(["status": ["phase": "Degraded"]]))
            #expect(patched.status?.phase == "Degraded")
            let applied = try await api.patchStatus(
                name, .apply(["apiVersion": "test.vtag.dev/v1", "kind": "ClientWidget", "metadata": ["name": .string(name)], "status": ["phase": "Applied"]]),
                .apply("status-writer", force: true))
            #expect(applied.status?.phase == "Applied")
            #expect(try await api.getStatus(name).status?.phase == "Applied")

            let invalid = await #expect(throws: KubeClientError.self) { try await api.create(ClientWidget(name: uniqueName("bad"), size: -1)) }
            guard case .invalid(_, let causes)? = invalid else { Issue.record("negative size was not Invalid"); return }
            #expect(causes.contains { ($0.field ?? "").contains("size") })
        }
    }

    @Test func dynamicApiOverJSON() async throws {
        try await withServer { server, client in
            let api = DynamicApi(client: client, resource: ClientWidget.resource, namespace: "default")
            let name = uniqueName("dyn")
            let created = try await api.create(["metadata": ["name": .string(name), "labels": ["x": "y"]], "spec": ["size": 5]])
            #expect(created["kind"] == .string("ClientWidget"))
            #expect(created[path: "spec", "size"]?.intValue == 5)
            let list = try await api.list(ListParams(labelSelector: "x=y"))
            let names = list.items.compactMap { item in item[path: "metadata", "name"]?.stringValue }
            #expect(names.contains(name))
            let cluster = DynamicApi(client: client, resource: Namespace.resource, namespace: "ignored")
            let nsList = try await cluster.list()
            #expect(nsList.items.contains { $0[path: "metadata", "name"] == .string("default") })
            #expect(server.requests().last?.path == "/api/v1/namespaces")
        }
    }
}
