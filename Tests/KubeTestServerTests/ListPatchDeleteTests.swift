import Foundation
import KubeCore
import KubeTestServer
import Testing

@Suite("Lists, selectors, pagination")
struct ListTests {
    @Test func labelSelectors() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a", labels: ["tier": "web"]))
            for i in 0..<4 {
                _ = try await c.post(widgets, widget("p\(i)", labels: ["n": "\(i)", "tier": i % 2 == 0 ? "web" : "db"]))
            }
            _ = try await c.post(widgets, widget("plain"))
            func names(_ sel: String) async throws -> [String] {
                let enc = sel.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let r = try await c.get("\(widgets)?labelSelector=\(enc)")
                #expect(r.status == 200, "\(sel): \(r.json)")
                return r.json.names
            }
            #expect(try await names("tier=web") == ["a", "p0", "p2"])
            #expect(try await names("tier==web") == ["a", "p0", "p2"])
            #expect(try await names("tier!=web") == ["p1", "p3", "plain"])
            #expect(try await names("tier in (db),n!=3") == ["p1"])
            #expect(try await names("n notin (0,1)") == ["a", "p2", "p3", "plain"])
            #expect(try await names("tier") == ["a", "p0", "p1", "p2", "p3"])
            #expect(try await names("!tier") == ["plain"])
            #expect(try await names("n>1") == ["p2", "p3"])
            let bad = try await c.get("\(widgets)?labelSelector=tier%20in%20db")
            #expect(bad.status == 400)
            #expect(bad.json["message"] == "unable to parse requirement: found 'db' expected: '('")
        }
    }

    @Test func fieldSelectors() async throws {
        try await withWidgets { _, c in
            for n in ["a", "b"] { _ = try await c.post(widgets, widget(n)) }
            #expect(try await c.get("\(widgets)?fieldSelector=metadata.name%3Db").json.names == ["b"])
            #expect(try await c.get("\(widgets)?fieldSelector=metadata.name!%3Db").json.names == ["a"])
            let bad = try await c.get("\(widgets)?fieldSelector=spec.size%3D1")
            #expect(bad.status == 400)
            #expect(bad.json["message"] == "field label not supported: spec.size")
            // Built-in kinds accept other fields.
            _ = try await c.post("/api/v1/namespaces/default/secrets", ["metadata": ["name": "s"], "type": "Opaque"])
            #expect(try await c.get("/api/v1/namespaces/default/secrets?fieldSelector=type%3DOpaque").json.names == ["s"])
        }
    }

    @Test func paginationWithContinueTokens() async throws {
        try await withWidgets { _, c in
            for i in 0..<7 { _ = try await c.post(widgets, widget("w\(i)")) }
            var seen: [String] = []
            var cont = ""
            var pages = 0
            var remaining: [Int64] = []
            repeat {
                let r = try await c.get("\(widgets)?limit=3" + (cont.isEmpty ? "" : "&continue=\(cont)"))
                #expect(r.status == 200)
                seen += r.json.names
                cont = r.json[path: "metadata", "continue"]?.stringValue ?? ""
                if let n = r.json[path: "metadata", "remainingItemCount"]?.intValue { remaining.append(n) }
                pages += 1
            } while !cont.isEmpty && pages < 10
            #expect(seen == (0..<7).map { "w\($0)" })
            #expect(pages == 3)
            #expect(remaining == [4, 1])
            let bad = try await c.get("\(widgets)?continue=garbage")
            #expect(bad.status == 400)
            #expect(bad.json["reason"] == "BadRequest")
        }
    }

    @Test func allNamespacesListAndClusterScoped() async throws {
        try await withWidgets { _, c in
            _ = try await c.post("/api/v1/namespaces", ["metadata": ["name": "other"]])
            _ = try await c.post(widgets, widget("a"))
            _ = try await c.post("/apis/example.test/v1/namespaces/other/widgets", widget("b"))
            let all = try await c.get("/apis/example.test/v1/widgets?limit=1")
            #expect(all.json.names == ["a"])
            let cont = try #require(all.json[path: "metadata", "continue"]?.stringValue)
            let next = try await c.get("/apis/example.test/v1/widgets?limit=1&continue=\(cont)")
            #expect(next.json.names == ["b"])
            let ns = try await c.get("/api/v1/namespaces").json.names
            #expect(ns.contains("other") && ns.contains("default"))
        }
    }

    @Test func tableOutputUsesPrinterColumns() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a", size: 8))
            let r = try await c.get(widgets, headers: ["Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"])
            #expect(r.json["kind"] == "Table")
            let cols = (r.json["columnDefinitions"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
            #expect(cols == ["Name", "Size", "Phase", "Age"])
            let cells = r.json["rows"]?.arrayValue?.first?["cells"]?.arrayValue ?? []
            #expect(cells.prefix(3) == ["a", 8, .null])
        }
    }
}

@Suite("Patch and server-side apply")
struct PatchTests {
    @Test func mergePatchAndNullDeletes() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a", size: 3))
            let p = try await c.mergePatch("\(widgets)/a", ["spec": ["labels": ["x": "1"]]])
            #expect(p.status == 200)
            #expect(p.json[path: "spec", "labels", "x"] == "1")
            #expect(p.json[path: "metadata", "generation"] == 2)
            let d = try await c.mergePatch("\(widgets)/a", ["spec": ["labels": .null]])
            #expect(d.json[path: "spec", "labels"] == nil)
            #expect(d.json[path: "spec", "size"] == 3)
            let stale = try await c.mergePatch("\(widgets)/a", ["metadata": ["resourceVersion": "1"], "spec": ["size": 4]])
            #expect(stale.status == 409)
            let missing = try await c.mergePatch("\(widgets)/nope", ["spec": ["size": 1]])
            #expect(missing.status == 404)
        }
    }

    @Test func jsonPatchAndFailedTest() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a", size: 3))
            let failing: JSONValue = [["op": "test", "path": "/spec/size", "value": 12345], ["op": "replace", "path": "/spec/size", "value": 8]]
            let f = try await c.patch("\(widgets)/a", failing.compactData(), type: "application/json-patch+json")
            #expect(f.status == 422)
            #expect(f.json["reason"] == "Invalid")
            let ok: JSONValue = [["op": "test", "path": "/spec/size", "value": 3], ["op": "replace", "path": "/spec/size", "value": 8]]
            let r = try await c.patch("\(widgets)/a", ok.compactData(), type: "application/json-patch+json")
            #expect(r.status == 200)
            #expect(r.json[path: "spec", "size"] == 8)
        }
    }

    @Test func strategicMergeIs415ForCustomResources() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a"))
            let r = try await c.patch("\(widgets)/a", Data(#"{"spec":{"size":2}}"#.utf8), type: "application/strategic-merge-patch+json")
            #expect(r.status == 415)
            #expect(r.json["reason"] == "UnsupportedMediaType")
            _ = try await c.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "cm"], "data": ["a": "1"]])
            let cm = try await c.patch("/api/v1/namespaces/default/configmaps/cm", Data(#"{"data":{"b":"2"}}"#.utf8), type: "application/strategic-merge-patch+json")
            #expect(cm.status == 200)
            #expect(cm.json["data"] == ["a": "1", "b": "2"])
        }
    }

    @Test func statusPatchChangesOnlyStatus() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("a", size: 1))
            let r = try await c.mergePatch("\(widgets)/a/status", ["spec": ["size": 5], "status": ["phase": "Done"]])
            #expect(r.status == 200)
            #expect(r.json[path: "status", "phase"] == "Done")
            #expect(r.json[path: "spec", "size"] == 1)
            #expect(r.json[path: "metadata", "generation"] == 1)
            let main = try await c.mergePatch("\(widgets)/a", ["status": ["phase": "Ignored"]])
            #expect(main.json[path: "status", "phase"] == "Done")
        }
    }

    @Test func serverSideApplyOwnershipConflictsAndForce() async throws {
        try await withWidgets { _, c in
            let yamlA = Data("apiVersion: example.test/v1\nkind: Widget\nmetadata:\n  name: s\nspec:\n  size: 1\n  color: blue\n".utf8)
            let created = try await c.patch("\(widgets)/s?fieldManager=mgr-a", yamlA, type: "application/apply-patch+yaml")
            #expect(created.status == 201)
            let mf = created.json[path: "metadata", "managedFields"]?.arrayValue ?? []
            #expect(mf.count == 1 && mf[0]["manager"] == "mgr-a" && mf[0]["operation"] == "Apply")

            let yamlB = Data("apiVersion: example.test/v1\nkind: Widget\nmetadata:\n  name: s\nspec:\n  size: 2\n".utf8)
            let conflict = try await c.patch("\(widgets)/s?fieldManager=mgr-b", yamlB, type: "application/apply-patch+yaml")
            #expect(conflict.status == 409)
            #expect(conflict.json["message"] == "Apply failed with 1 conflict: conflict with \"mgr-a\": .spec.size")
            #expect(conflict.json[path: "details", "causes"]?.arrayValue?.first?["field"] == ".spec.size")

            // Same value: shared ownership, no conflict.
            let same = Data("apiVersion: example.test/v1\nkind: Widget\nmetadata:\n  name: s\nspec:\n  size: 1\n".utf8)
            #expect(try await c.patch("\(widgets)/s?fieldManager=mgr-c", same, type: "application/apply-patch+yaml").status == 200)

            let forced = try await c.patch("\(widgets)/s?fieldManager=mgr-b&force=true", yamlB, type: "application/apply-patch+yaml")
            #expect(forced.status == 200)
            #expect(forced.json[path: "spec", "size"] == 2)
            #expect(forced.json[path: "spec", "color"] == "blue")
            #expect(forced.json[path: "metadata", "generation"] == 2)

            // mgr-a stops setting color: nobody else owns it, so it is removed.
            let dropColor = Data("apiVersion: example.test/v1\nkind: Widget\nmetadata:\n  name: s\nspec: {}\n".utf8)
            let dropped = try await c.patch("\(widgets)/s?fieldManager=mgr-a", dropColor, type: "application/apply-patch+yaml")
            #expect(dropped.status == 200)
            #expect(dropped.json[path: "spec", "color"] == nil)
            #expect(dropped.json[path: "spec", "size"] == 2)

            let noManager = try await c.patch("\(widgets)/s", yamlB, type: "application/apply-patch+yaml")
            #expect(noManager.status == 422)
            #expect(noManager.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "fieldManager")
        }
    }

    @Test func applyToStatusMergesConditionsByType() async throws {
        try await withWidgets { _, c in
            _ = try await c.post(widgets, widget("s"))
            func apply(_ conds: String) async throws -> RawClient.Response {
                let body = #"{"apiVersion":"example.test/v1","kind":"Widget","metadata":{"name":"s"},"status":{"conditions":[\#(conds)]}}"#
                return try await c.patch("\(widgets)/s/status?fieldManager=ctrl", Data(body.utf8), type: "application/apply-patch+yaml")
            }
            let r1 = try await apply(#"{"type":"Ready","status":"True"}"#)
            #expect(r1.status == 200)
            // Another manager adds its own condition; list-map merge keeps both.
            let body = #"{"apiVersion":"example.test/v1","kind":"Widget","metadata":{"name":"s"},"status":{"conditions":[{"type":"Synced","status":"False"}]}}"#
            let r2 = try await c.patch("\(widgets)/s/status?fieldManager=other", Data(body.utf8), type: "application/apply-patch+yaml")
            #expect(r2.status == 200)
            let types = (r2.json[path: "status", "conditions"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
            #expect(Set(types) == ["Ready", "Synced"])
            #expect(r2.json[path: "metadata", "generation"] == 1)
            // ctrl drops Ready: it goes away, Synced stays.
            let r3 = try await apply("")
            #expect(r3.status == 200, "\(r3.json.compactString())")
            let after = (r3.json[path: "status", "conditions"]?.arrayValue ?? []).compactMap { $0["type"]?.stringValue }
            #expect(after == ["Synced"])
        }
    }
}

@Suite("Delete, finalizers, garbage collection")
struct DeleteTests {
    @Test func finalizersHoldTheObjectUntilRemoved() async throws {
        try await withWidgets { _, c in
            var w = widget("f")
            w["metadata"]?["finalizers"] = ["example.test/cleanup"]
            let created = try await c.post(widgets, w).json
            let pre = try await c.delete("\(widgets)/f", ["kind": "DeleteOptions", "apiVersion": "v1", "preconditions": ["uid": "00000000-0000-0000-0000-000000000000"]])
            #expect(pre.status == 409)
            #expect(pre.json["reason"] == "Conflict")
            let d = try await c.delete("\(widgets)/f")
            #expect(d.status == 200)
            #expect(d.json[path: "metadata", "deletionTimestamp"] != nil)
            #expect(d.json[path: "metadata", "deletionGracePeriodSeconds"] == 0)
            #expect(d.json[path: "metadata", "generation"] == 2)
            #expect(try await c.get("\(widgets)/f").status == 200)
            let rv = created.rv
            let w2 = try await c.watch("\(widgets)?watch=1&resourceVersion=\(rv)", onOpen: {
                let r = try await c.mergePatch("\(widgets)/f", ["metadata": ["finalizers": .null]])
                #expect(r.status == 200)
            }, stop: { $0.count >= 2 })
            #expect(w2.events.map { $0["type"]?.stringValue ?? "" } == ["MODIFIED", "DELETED"])
            #expect(try await c.get("\(widgets)/f").status == 404)
        }
    }

    @Test func plainDeleteAndResourceVersionPrecondition() async throws {
        try await withWidgets { _, c in
            let created = try await c.post(widgets, widget("a")).json
            let bad = try await c.delete("\(widgets)/a", ["preconditions": ["resourceVersion": "1"]])
            #expect(bad.status == 409)
            let ok = try await c.delete("\(widgets)/a", ["preconditions": ["resourceVersion": .string(created.rv), "uid": created[path: "metadata", "uid"]!]])
            #expect(ok.status == 200)
            // A custom resource removed at once is answered with a Success Status naming it (transcript 12#4).
            #expect(ok.json["kind"] == "Status")
            #expect(ok.json[path: "details", "uid"] == created[path: "metadata", "uid"])
            #expect(try await c.delete("\(widgets)/a").status == 404)
            _ = try await c.post("/api/v1/namespaces/default/configmaps", ["metadata": ["name": "cm"]])
            let cm = try await c.delete("/api/v1/namespaces/default/configmaps/cm")
            #expect(cm.json["kind"] == "Status")
            #expect(cm.json["status"] == "Success")
        }
    }

    @Test func ownerDeletionCollectsDependents() async throws {
        try await withWidgets { _, c in
            let owner = try await c.post(widgets, widget("owner")).json
            let ref: JSONValue = ["apiVersion": "example.test/v1", "kind": "Widget", "name": "owner", "uid": owner[path: "metadata", "uid"]!, "controller": true]
            var dep = widget("dep")
            dep["metadata"]?["ownerReferences"] = [ref]
            _ = try await c.post(widgets, dep)
            var cm: JSONValue = ["metadata": ["name": "cm", "ownerReferences": [ref]]]
            _ = try await c.post("/api/v1/namespaces/default/configmaps", cm)
            let keeper = try await c.post(widgets, widget("keeper")).json
            cm = ["metadata": ["name": "shared", "ownerReferences": [ref, ["apiVersion": "example.test/v1", "kind": "Widget", "name": "keeper", "uid": keeper[path: "metadata", "uid"]!]]]]
            _ = try await c.post("/api/v1/namespaces/default/configmaps", cm)
            #expect(try await c.delete("\(widgets)/owner").status == 200)
            // The garbage collector acts after the DELETE has been answered.
            #expect(await eventually { try await c.get("\(widgets)/dep").status == 404 })
            #expect(await eventually { try await c.get("/api/v1/namespaces/default/configmaps/cm").status == 404 })
            let shared = try await c.get("/api/v1/namespaces/default/configmaps/shared")
            #expect(shared.status == 200)
            #expect(shared.json[path: "metadata", "ownerReferences"]?.arrayValue?.count == 1)
        }
    }

    @Test func foregroundDeletionWaitsForDependents() async throws {
        try await withWidgets { _, c in
            let owner = try await c.post(widgets, widget("owner")).json
            var dep = widget("dep")
            dep["metadata"]?["ownerReferences"] = [["apiVersion": "example.test/v1", "kind": "Widget", "name": "owner", "uid": owner[path: "metadata", "uid"]!]]
            _ = try await c.post(widgets, dep)
            let d = try await c.delete("\(widgets)/owner", ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"])
            #expect(d.json[path: "metadata", "finalizers"] == ["foregroundDeletion"])
            var gone = false
            for _ in 0..<100 where !gone {
                gone = try await c.get("\(widgets)/owner").status == 404
                if !gone { try await Task.sleep(for: .milliseconds(20)) }
            }
            #expect(gone)
            #expect(try await c.get("\(widgets)/dep").status == 404)
        }
    }

    @Test func deleteCollectionAndNamespaceCleanup() async throws {
        try await withWidgets { _, c in
            _ = try await c.post("/api/v1/namespaces", ["metadata": ["name": "team"]])
            let team = "/apis/example.test/v1/namespaces/team/widgets"
            for i in 0..<3 { _ = try await c.post(team, widget("w\(i)", labels: ["keep": i == 0 ? "yes" : "no"])) }
            let dc = try await c.send(.DELETE, "\(team)?labelSelector=keep%3Dno")
            #expect(dc.status == 200)
            #expect(dc.json.names == ["w1", "w2"])
            #expect(try await c.get(team).json.names == ["w0"])
            let deleted = try await c.delete("/api/v1/namespaces/team")
            #expect(deleted.status == 200)
            #expect(deleted.json[path: "status", "phase"] == "Terminating")
            #expect(await eventually { try await c.get("/api/v1/namespaces/team").status == 404 })
            #expect(try await c.get("/apis/example.test/v1/widgets").json.names.isEmpty)
        }
    }
}
