import Foundation
import KubeCore
import KubeTestServer
import Testing

/// The controller-manager's part: asynchronous garbage collection (foreground, orphan, dangling owners) and
/// namespace termination.
@Suite("Garbage collector and namespace controller")
struct ControllerTests {
    func dependent(_ name: String, owner: JSONValue, block: Bool = false, finalizers: [String] = []) -> JSONValue {
        var ref: JSONValue = ["apiVersion": "example.test/v1", "kind": "Widget", "name": owner[path: "metadata", "name"] ?? "",
                              "uid": owner[path: "metadata", "uid"] ?? ""]
        if block { ref["blockOwnerDeletion"] = true; ref["controller"] = true }
        var d = widget(name)
        d["metadata"]?["ownerReferences"] = [ref]
        if !finalizers.isEmpty { d["metadata"]?["finalizers"] = .array(finalizers.map(JSONValue.string)) }
        return d
    }

    @Test func foregroundOwnerWaitsForItsBlockingDependent() async throws {
        try await withWidgets { _, c in
            let owner = try await c.post(widgets, widget("owner")).json
            #expect(try await c.post(widgets, dependent("held", owner: owner, block: true, finalizers: ["example.test/hold"])).status == 201)
            #expect(try await c.post(widgets, dependent("free", owner: owner)).status == 201)
            let d = try await c.delete("\(widgets)/owner", ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"])
            #expect(d.status == 200)
            #expect(await eventually { try await c.get("\(widgets)/free").status == 404 })
            let held = try await c.get("\(widgets)/held").json
            #expect(held[path: "metadata", "deletionTimestamp"] != nil)
            #expect(try await c.get("\(widgets)/owner").json[path: "metadata", "finalizers"] == ["foregroundDeletion"])
            #expect(try await c.mergePatch("\(widgets)/held", ["metadata": ["finalizers": .null]]).status == 200)
            #expect(await eventually { try await c.get("\(widgets)/owner").status == 404 })
        }
    }

    @Test func orphanDeletionKeepsDependentsWithoutTheReference() async throws {
        try await withWidgets { _, c in
            let owner = try await c.post(widgets, widget("owner")).json
            #expect(try await c.post(widgets, dependent("dep", owner: owner, block: true)).status == 201)
            let d = try await c.delete("\(widgets)/owner", ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan"])
            #expect(d.json[path: "metadata", "finalizers"] == ["orphan"])
            #expect(await eventually { try await c.get("\(widgets)/owner").status == 404 })
            let dep = try await c.get("\(widgets)/dep")
            #expect(dep.status == 200)
            #expect(dep.json[path: "metadata", "ownerReferences"] == nil)
        }
    }

    @Test func danglingOwnerIsCollectedUnlessItsKindIsUnknown() async throws {
        try await withWidgets { (_, c) async throws -> Void in
            var ghost = widget("ghost-child")
            ghost["metadata"]?["ownerReferences"] = [["apiVersion": "example.test/v1", "kind": "Widget", "name": "ghost", "uid": "6f1b2c3d-0000-4000-8000-000000000001"]]
            #expect(try await c.post(widgets, ghost).status == 201)
            var unknown = widget("unknown-child")
            unknown["metadata"]?["ownerReferences"] = [["apiVersion": "example.test/v1", "kind": "Doohickey", "name": "d", "uid": "6f1b2c3d-0000-4000-8000-000000000002"]]
            #expect(try await c.post(widgets, unknown).status == 201)
            #expect(await eventually { try await c.get("\(widgets)/ghost-child").status == 404 })
            #expect(try await c.get("\(widgets)/unknown-child").status == 200)
        }
    }

    @Test func terminatingNamespaceRefusesNewContentUntilItIsGone() async throws {
        try await withWidgets { _, c in
            #expect(try await c.post("/api/v1/namespaces", ["metadata": ["name": "term"]]).status == 201)
            let ns = "/apis/example.test/v1/namespaces/term/widgets"
            var held = widget("held")
            held["metadata"]?["finalizers"] = ["example.test/hold"]
            #expect(try await c.post(ns, held).status == 201)
            let d = try await c.delete("/api/v1/namespaces/term")
            #expect(d.json[path: "status", "phase"] == "Terminating")
            let refused = try await c.post(ns, widget("new"))
            #expect(refused.status == 403)
            #expect(refused.json["message"] == "widgets.example.test \"new\" is forbidden: unable to create new content in namespace term because it is being terminated")
            #expect(refused.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "NamespaceTerminating")
            #expect(await eventually {
                let n = try await c.get("/api/v1/namespaces/term").json
                return (n[path: "status", "conditions"]?.arrayValue ?? []).contains { $0["type"] == "NamespaceFinalizersRemaining" }
            })
            #expect(try await c.get("\(ns)/held").json[path: "metadata", "deletionTimestamp"] != nil)
            #expect(try await c.mergePatch("\(ns)/held", ["spec": ["size": 3]]).status == 200)
            #expect(try await c.mergePatch("\(ns)/held", ["metadata": ["finalizers": .null]]).status == 200)
            #expect(await eventually { try await c.get("/api/v1/namespaces/term").status == 404 })
            let gone = try await c.post(ns, widget("later"))
            #expect(gone.status == 404)
            #expect(gone.json["message"] == "namespaces \"term\" not found")
        }
    }
}
