import Foundation
import KubeCore
import KubeTestServer
import Testing

@Suite("CRUD, conflicts, status subresource, generation")
struct CRUDTests {
    @Test func createGetAndDuplicate() async throws {
        try await withWidgets { _, c in
            let r = try await c.post(widgets, widget("a", size: 3, labels: ["tier": "web"]))
            #expect(r.status == 201)
            let o = r.json
            #expect(o[path: "metadata", "generation"] == 1)
            #expect(o[path: "metadata", "uid"]?.stringValue?.count == 36)
            #expect(o[path: "metadata", "namespace"] == "default")
            #expect(Int(o.rv) != nil)
            #expect(o[path: "metadata", "creationTimestamp"]?.stringValue.flatMap(KubeTime.parse) != nil)

            let dup = try await c.post(widgets, widget("a"))
            #expect(dup.status == 409)
            #expect(dup.json["reason"] == "AlreadyExists")
            #expect(dup.json[path: "details", "kind"] == "widgets")
            #expect(dup.json["message"] == "widgets.example.test \"a\" already exists")

            let g = try await c.get("\(widgets)/a")
            #expect(g.status == 200)
            #expect(g.json == o)

            let missing = try await c.get("\(widgets)/nope")
            #expect(missing.status == 404)
            #expect(missing.json["reason"] == "NotFound")
            #expect(missing.json[path: "details", "name"] == "nope")
        }
    }

    @Test func resourceVersionIsClusterWideAndIncreasing() async throws {
        try await withWidgets { _, c in
            let a = try await c.post(widgets, widget("a")).json.rv
            let cm = try await c.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "x"], "data": ["k": "v"]]).json.rv
            let b = try await c.post(widgets, widget("b")).json.rv
            #expect(Int(a)! < Int(cm)!)
            #expect(Int(cm)! < Int(b)!)
        }
    }

    /// stringData is write-only: merged into data (base64, winning over the same key) and never stored.
    @Test func secretStringDataIsFoldedIntoData() async throws {
        try await withWidgets { _, c in
            let created = try await c.post("/api/v1/namespaces/default/secrets", [
                "metadata": ["name": "creds"], "data": ["a": "b2xk", "b": "Yg=="], "stringData": ["a": "new", "c": "cc"],
            ])
            #expect(created.status == 201)
            let stored = try await c.get("/api/v1/namespaces/default/secrets/creds").json
            #expect(stored["stringData"] == nil)
            #expect(stored["data"] == ["a": "bmV3", "b": "Yg==", "c": "Y2M="])
        }
    }

    /// etcd's limit (1.5 MiB) holds for the object as stored: a create or a patch past it is refused whole (413,
    /// nothing stored, no watch event), and the answer to a stored write is the object its watchers get.
    @Test func writesPastEtcdsLimitAreRefusedWholeAndAStoredWriteIsAnsweredAsWatchersSeeIt() async throws {
        try await withWidgets { _, c in
            let start = try await c.post(widgets, widget("a")).json.rv
            let big: JSONValue = ["one": .string(String(repeating: "x", count: 800_000)), "two": .string(String(repeating: "y", count: 800_000))]

            let patched = try await c.mergePatch("\(widgets)/a", ["spec": ["labels": big]])
            #expect(patched.status == 413)
            #expect(patched.json["reason"] == "RequestEntityTooLarge")
            let created = try await c.post(widgets, widget("b", extra: ["spec": ["size": 1, "labels": big]]))
            #expect(created.status == 413)
            #expect(try await c.get("\(widgets)/b").status == 404)
            #expect(try await c.get("\(widgets)/a").json.rv == start)

            let stored = try await c.mergePatch("\(widgets)/a", ["spec": ["size": 5]])
            #expect(stored.status == 200)
            let w = try await c.watch("\(widgets)?watch=1&resourceVersion=\(start)", stop: { !$0.isEmpty })
            #expect(w.events.count == 1)
            #expect(w.events.first?["type"] == "MODIFIED")
            #expect(w.events.first?["object"] == stored.json)
            #expect(stored.json[path: "spec", "size"] == 5)
        }
    }

    @Test func staleUpdateConflictsAndStatusIsSplit() async throws {
        try await withWidgets { _, c in
            let created = try await c.post(widgets, widget("a", size: 3)).json
            var next = created
            next["spec"] = ["size": 4]
            next["status"] = ["phase": "Ignored"]
            let u = try await c.put("\(widgets)/a", next)
            #expect(u.status == 200)
            #expect(u.json[path: "metadata", "generation"] == 2)
            #expect(u.json["status"] == nil)
            #expect(u.json[path: "spec", "size"] == 4)

            var stale = created
            stale["spec"] = ["size": 5]
            let s = try await c.put("\(widgets)/a", stale)
            #expect(s.status == 409)
            #expect(s.json["reason"] == "Conflict")
            #expect(s.json["message"] == "Operation cannot be fulfilled on widgets.example.test \"a\": the object has been modified; please apply your changes to the latest version and try again")

            var st = u.json
            st["spec"] = ["size": 99]
            st["status"] = ["phase": "Ready", "observedGeneration": 2]
            let su = try await c.put("\(widgets)/a/status", st)
            #expect(su.status == 200)
            #expect(su.json[path: "spec", "size"] == 4)
            #expect(su.json[path: "status", "phase"] == "Ready")
            #expect(su.json[path: "metadata", "generation"] == 2)

            var noRV = su.json
            noRV["metadata"]?["resourceVersion"] = nil
            let n = try await c.put("\(widgets)/a", noRV)
            #expect(n.status == 422)
            #expect(n.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "metadata.resourceVersion")
        }
    }

    @Test func noOpUpdateKeepsResourceVersion() async throws {
        try await withWidgets { _, c in
            let created = try await c.post(widgets, widget("a", size: 3)).json
            let again = try await c.put("\(widgets)/a", created)
            #expect(again.status == 200)
            #expect(again.json.rv == created.rv)
        }
    }

    @Test func namespaceMustExistAndNamesAreValidated() async throws {
        try await withWidgets { _, c in
            let r = try await c.post("/apis/example.test/v1/namespaces/nope/widgets", widget("a"))
            #expect(r.status == 404)
            #expect(r.json["message"] == "namespaces \"nope\" not found")
            let bad = try await c.post(widgets, widget("Bad_Name"))
            #expect(bad.status == 422)
            #expect(bad.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "metadata.name")
            var gen = widget("")
            gen["metadata"] = ["generateName": "w-"]
            let g = try await c.post(widgets, gen)
            #expect(g.status == 201)
            let name = try #require(g.json[path: "metadata", "name"]?.stringValue)
            #expect(name.hasPrefix("w-") && name.count == 7)
        }
    }

    @Test func unknownResourceIs404() async throws {
        try await withServer { _, c in
            let r = try await c.get("/apis/example.test/v1/namespaces/default/widgets")
            #expect(r.status == 404)
            #expect(r.json["reason"] == "NotFound")
            #expect(r.json["kind"] == "Status")
        }
    }

    @Test func crdRegistersKindAndBecomesEstablished() async throws {
        try await withServer { _, c in
            let created = try await c.post(crds, try widgetCRD())
            #expect(created.status == 201)
            let got = try await c.get("\(crds)/widgets.example.test").json
            let conds = got[path: "status", "conditions"]?.arrayValue ?? []
            #expect(conds.contains { $0["type"] == "Established" && $0["status"] == "True" })
            #expect(got[path: "status", "acceptedNames", "kind"] == "Widget")
            let disc = try await c.get("/apis/example.test/v1").json
            let names = (disc["resources"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(names == ["widgets", "widgets/status"])
            let groups = try await c.get("/apis").json
            #expect((groups["groups"]?.arrayValue ?? []).contains { $0["name"] == "example.test" })
            // Deleting the CRD removes the kind.
            #expect(try await c.post(widgets, widget("a")).status == 201)
            #expect(try await c.delete("\(crds)/widgets.example.test").status == 200)
            #expect(try await c.get(widgets).status == 404)
        }
    }

    @Test func crdFilesAreInstalledAtStart() async throws {
        let dir = NSTemporaryDirectory() + "crdfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/crds.yaml"
        let yaml = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: gadgets.example.test
        spec:
          group: example.test
          scope: Cluster
          names: {plural: gadgets, singular: gadget, kind: Gadget}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                x-kubernetes-preserve-unknown-fields: true
        ---

        """ + ThrowawayCRD(
            group: "example.test", kind: "Thing", plural: "things",
            spec: "{type: object, properties: {n: {type: integer, default: 7}}}",
            status: "{type: object, x-kubernetes-preserve-unknown-fields: true}"
        ).yaml
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        try await withServer(.init(crdFiles: [path])) { _, c in
            let g = try await c.post("/apis/example.test/v1/gadgets", ["apiVersion": "example.test/v1", "kind": "Gadget", "metadata": ["name": "g"], "anything": 1])
            #expect(g.status == 201)
            #expect(g.json[path: "metadata", "namespace"] == nil)
            let t = try await c.post("/apis/example.test/v1/namespaces/default/things", ["apiVersion": "example.test/v1", "kind": "Thing", "metadata": ["name": "t"], "spec": .object([:])])
            #expect(t.status == 201)
            #expect(t.json[path: "spec", "n"] == 7)
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    @Test func badCRDFileIsAClearError() async throws {
        let path = NSTemporaryDirectory() + "missing-\(UUID().uuidString).yaml"
        await #expect(throws: TestServerError.self) {
            _ = try await KubeAPITestServer.start(.init(crdFiles: [path]))
        }
    }
}
