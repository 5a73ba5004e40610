import Foundation
import KubeCore
import KubeTestServer
import NIOHTTP1
import Testing

/// Replays shared/k8s-api-transcripts (recorded from kube-apiserver v1.36.2) against one fresh test server,
/// in recording order (each scenario builds on the state the previous ones left), and compares status codes,
/// Status reason/code/message/details, object semantics (volatile fields aside), list contents and watch
/// event sequences. Resource versions, uids and continue tokens of the recording are mapped to the test
/// server's as they appear.
@Suite("Transcript replay")
struct TranscriptReplayTests {
    /// Steps the test server answers differently on purpose, with the reason. Each is still sent (so state
    /// stays in step with the recording) and checked as far as `check` says.
    enum Check {
        case statusOnly, skipBody, nothing, causeOrder
        /// Not sent at all (the reason says what covers it instead).
        case notSent
        /// A watch whose periodic BOOKMARKs depend on timing: every other event, and the initial-events-end
        /// BOOKMARK, is compared.
        case ignoreLiveBookmarks
    }
    static let knownDifferences: [String: (Check, String)] = [
        "00#2": (.skipBody, "APIResourceList: no storageVersionHash; resources compared by name, kind, namespaced and verbs instead"),
        "00#3": (.skipBody, "APIGroupList lists only the groups this server serves (no apps, batch, ...); checked that example.test/v1 is there"),
        "01#4": (.causeOrder, "the message lists the same causes, in field-name order (objects do not keep the schema's key order)"),
        "01#6": (.nothing, "CEL (x-kubernetes-validations) is not evaluated: the server creates the object (201); the replay deletes it again"),
        "04#10": (.skipBody, "Table: Age cells depend on timing; columns and the other cells are compared"),
        "07#0": (.skipBody, "recorder artifact: the recorded response body was overwritten by the later takeover request (pod-b_99, leaseTransitions 1); compared with the request instead"),
        "12#29": (.statusOnly, "the recording caught the garbage collector half-way through orphaning (one dependent done); its next poll (12#30) is compared in full"),
        "12#38": (.statusOnly, "the recording caught the garbage collector half-way through the dangling dependents (one of two collected); its next poll (12#39) is compared in full"),
        "11#2": (.causeOrder, "the same two Duplicate causes; the real server lists spec.tags before spec.aliases, ours in field-name order"),
        "16#1": (.notSent, "a 90 s watch on a quiet collection: its first BOOKMARK comes ~60 s in; the default bookmark schedule is tested in WatchTests with a short interval"),
        "16#3": (.notSent, "a 90 s watch while another namespace changes: as 16#1"),
        "16#5": (.notSent, "a 90 s watch on a quiet collection, again: as 16#1"),
        "16#6": (.ignoreLiveBookmarks, "the live BOOKMARKs at 2.7 s and 3.8 s depend on timing; the initial-events-end BOOKMARK and every other event are compared"),
        "07#4": (.skipBody, "recorder artifact: the recorded response body shows the series added by the later PUT; compared with the request instead"),
    ]

    static let files = [
        "00-crd-install", "01-create-get-errors", "02-update-conflict-status-subresource", "03-patch-kinds",
        "04-list-select-paginate-table", "05-watch", "06-delete-finalizers", "07-lease-event-configmap", "08-auth-errors",
        "09-cel-validation", "10-metadata-validation", "11-list-type-uniqueness", "12-garbage-collection",
        "13-namespace-termination", "14-rbac-forbidden", "15-pagination-expiry", "16-watch-list-and-bookmarks",
    ]
    /// Steps in all transcripts: each one is replayed or listed in `knownDifferences` as `.notSent`.
    static let totalSteps = 272

    /// Values of the recording mapped to the test server's (resourceVersions, uids, continue tokens, times).
    final class ValueMap: @unchecked Sendable {
        var map: [String: String] = [:]
        static let keys: Set<String> = ["uid", "resourceVersion", "continue", "creationTimestamp", "deletionTimestamp"]

        func learn(recorded: JSONValue, ours: JSONValue) {
            switch (recorded, ours) {
            case (.object(let r), .object(let o)):
                for (k, rv) in r {
                    guard let ov = o[k] else { continue }
                    if Self.keys.contains(k), let rs = rv.stringValue, let os = ov.stringValue, !rs.isEmpty { map[rs] = os }
                    learn(recorded: rv, ours: ov)
                }
            case (.array(let r), .array(let o)):
                for (a, b) in zip(r, o) { learn(recorded: a, ours: b) }
            default: break
            }
        }

        func substitute(_ v: JSONValue) -> JSONValue {
            switch v {
            case .object(let o):
                var out: [String: JSONValue] = [:]
                for (k, x) in o {
                    if Self.keys.contains(k), let s = x.stringValue, let m = map[s] { out[k] = .string(m) } else { out[k] = substitute(x) }
                }
                return .object(out)
            case .array(let a): return .array(a.map(substitute))
            default: return v
            }
        }

        func substitutePath(_ path: String) -> String {
            guard let q = path.firstIndex(of: "?") else { return path }
            let parts = path[path.index(after: q)...].split(separator: "&").map { pair -> String in
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2, ["resourceVersion", "continue"].contains(kv[0]), let m = map[kv[1]] { return "\(kv[0])=\(m)" }
                return String(pair)
            }
            return String(path[..<q]) + "?" + parts.joined(separator: "&")
        }

        /// Recorded text with every mapped long value (uids, tokens) replaced.
        func substituteText(_ s: String) -> String {
            var out = s
            for (k, v) in map where k.count >= 8 { out = out.replacingOccurrences(of: k, with: v) }
            return out
        }
    }

    static let volatile: Set<String> = ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "managedFields", "lastTransitionTime", "time", "continue"]

    /// Differences between a recorded object and ours, ignoring volatile fields.
    static func diff(_ r: JSONValue, _ o: JSONValue, path: String = "", map: [String: String] = [:]) -> [String] {
        switch (r, o) {
        case (.object(let a), .object(let b)):
            var out: [String] = []
            for k in Set(a.keys).union(b.keys).sorted() where !volatile.contains(k) {
                let p = path + "." + k
                switch (a[k], b[k]) {
                case (nil, .some(let x)): if !x.isNull { out.append("\(p): unexpected \(x.compactString())") }
                case (.some(let x), nil): if !x.isNull { out.append("\(p): missing (recorded \(x.compactString()))") }
                case (.some(let x), .some(let y)): out += diff(x, y, path: p, map: map)
                default: break
                }
            }
            return out
        case (.array(let a), .array(let b)):
            if a.count != b.count { return ["\(path): \(b.count) items, recorded \(a.count)"] }
            return zip(a, b).enumerated().flatMap { diff($0.element.0, $0.element.1, path: "\(path)[\($0.offset)]", map: map) }
        default:
            if case .string(let x) = r, case .string(let y) = o, map[x] == y { return [] }
            if let x = r.doubleValue, let y = o.doubleValue, x == y { return [] }
            return r == o ? [] : ["\(path): \(o.compactString()), recorded \(r.compactString())"]
        }
    }

    @Test func replayAllTranscripts() async throws {
        // Bookmarks only at timeoutSeconds; controllers run when a step says so (the recording polled until they
        // had acted); RBAC on (the recorder's admin is in system:masters, 14 impersonates a ServiceAccount).
        let options = KubeAPITestServer.Options(bookmarkInterval: .seconds(600), foregroundDeletionDelay: .seconds(600),
                                                authorization: .rbac)
        try await withServer(options) { server, c in
            let values = ValueMap()
            var checkedSteps = 0, notSent = 0
            for file in Self.files {
                let url = try #require(Bundle.module.url(forResource: file, withExtension: "json", subdirectory: "Transcripts"))
                let transcript = try JSONValue.parseFast(Data(contentsOf: url))
                let steps = transcript["steps"]?.arrayValue ?? []
                for (i, step) in steps.enumerated() {
                    let id = "\(file.prefix(2))#\(i)"
                    if case .notSent? = Self.knownDifferences[id]?.0 {
                        notSent += 1
                        continue
                    }
                    try await setUp(id, server: server, client: c)
                    try await replay(id, step, server: server, client: c, values: values)
                    checkedSteps += 1
                }
            }
            #expect(checkedSteps + notSent == Self.totalSteps)
            #expect(notSent == Self.knownDifferences.values.filter { if case .notSent = $0.0 { true } else { false } }.count)
        }
    }

    /// The recorder abbreviated long strings as "<N bytes>"; they were N characters.
    static func expandPlaceholders(_ v: JSONValue) -> JSONValue {
        switch v {
        case .string(let m) where m.hasPrefix("<") && m.hasSuffix(" bytes>"):
            guard let n = Int(m.dropFirst().dropLast(7)) else { return v }
            return .string(String(repeating: "x", count: n))
        case .object(let o): return .object(o.mapValues(expandPlaceholders))
        case .array(let a): return .array(a.map(expandPlaceholders))
        default: return v
        }
    }

    /// State the recording created outside the transcript steps.
    func setUp(_ id: String, server: KubeAPITestServer, client c: RawClient) async throws {
        let base = "/apis/example.test/v1/namespaces/transcripts/widgets"
        switch id {
        case "04#0":
            for i in 0..<5 {
                var w = widget("p\(i)", size: Int64(i), labels: ["n": "\(i)", "tier": i % 2 == 0 ? "web" : "db"])
                w["metadata"]?["namespace"] = "transcripts"
                #expect(try await c.send(.POST, base, body: w.compactData(), headers: ["User-Agent": "python-requests/2.32.3"]).status == 201)
            }
        case "05#4":
            // The recorded server had compacted its history long before resourceVersion 1.
            server.faults.compact()
        case "08#1":
            server.faults.forbid(user: "system:serviceaccount:team-a:nobody")
        case "08#2":
            server.faults.forbid(verb: "patch", resource: "widgets/status", user: "alice")
        case "09#0":
            for ns in ["tx-cel", "tx-meta", "tx-lists", "tx-gc", "tx-rbac", "tx-rbac-other", "tx-page", "tx-watch"] {
                #expect(try await c.post("/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]).status == 201)
            }
        case "12#9", "12#17", "12#22", "12#30", "12#39", "13#10", "13#22":
            // The recording polled until kube-controller-manager had acted; here it acts when told.
            server.runControllers()
        case "14#0":
            #expect(try await c.send(.POST, gadgets("tx-rbac"), body: gadget("g1").compactData(), headers: Self.recorder).status == 201)
        case "15#0":
            for i in 0..<50 {
                let g = gadget(String(format: "g-%03d", i), labels: ["batch": "p"])
                #expect(try await c.send(.POST, gadgets("tx-page"), body: g.compactData(), headers: Self.recorder).status == 201)
            }
        case _ where id.hasPrefix("15#"):
            // Between the polls of the old continue token (steps 5 to 22) the recording wrote three times.
            guard let step = Int(id.dropFirst(3)), (5...22).contains(step) else { break }
            for k in 1...3 {
                let tick = (step - 5) * 3 + k
                let name = "g-04\(5 + (tick - 1) % 3)"
                let patch: JSONValue = ["metadata": ["labels": ["tick": .string(String(tick))]]]
                #expect(try await c.send(.PATCH, gadgets("tx-page") + "/" + name, body: patch.compactData(),
                                         contentType: "application/merge-patch+json", headers: Self.recorder).status == 200)
            }
            // The recording polled for 540 s until etcd's compaction passed the token's revision.
            if step == 22 { server.faults.compactStorage() }
        case "16#0":
            #expect(try await c.send(.POST, gadgets("tx-watch"), body: gadget("quiet").compactData(), headers: Self.recorder).status == 201)
        case "16#6":
            #expect(try await c.send(.POST, gadgets("tx-watch"), body: gadget("second").compactData(), headers: Self.recorder).status == 201)
        default: break
        }
    }

    static let recorder = ["User-Agent": "python-requests/2.32.3"]

    func gadgets(_ namespace: String) -> String { "/apis/example.test/v1/namespaces/\(namespace)/gadgets" }

    /// The plain Gadget the recording created outside the steps.
    func gadget(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        var meta: [String: JSONValue] = ["name": .string(name)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues(JSONValue.string)) }
        return ["apiVersion": "example.test/v1", "kind": "Gadget", "metadata": .object(meta),
                "spec": ["provider": "simulated", "simulated": ["count": 3], "tags": [["key": "team", "value": "platform"]]]]
    }

    func replay(_ id: String, _ step: JSONValue, server: KubeAPITestServer, client c: RawClient, values: ValueMap) async throws {
        let req = step["request"] ?? .null
        let resp = step["response"] ?? .null
        let known = Self.knownDifferences[id]
        let method = HTTPMethod(rawValue: req["method"]?.stringValue ?? "GET")
        let path = values.substitutePath(req["path"]?.stringValue ?? "")
        var headers: [String: String] = ["User-Agent": "python-requests/2.32.3"]
        for (k, v) in req["headers"]?.objectValue ?? [:] { headers[k] = v.stringValue }
        let contentType = headers["Content-Type"] ?? "application/json"
        var body: Data?
        switch req["body"] {
        case .string(let s)?:
            body = Data(values.substituteText(s).utf8)
        case .some(let b):
            body = Self.expandPlaceholders(values.substitute(b)).compactData()
        case nil: body = nil
        }
        let wantStatus = resp["status"]?.intValue.map(Int.init) ?? 0
        var client = c
        if id == "08#0" { client.token = "not-a-valid-token" }

        if let events = resp["events"]?.arrayValue {
            try await replayWatch(id, path: path, recorded: events, client: client, values: values)
            return
        }
        let r = try await client.send(method, path, body: body, contentType: contentType, headers: headers)
        if case .nothing? = known?.0 {
            if id == "01#6" { _ = try await c.delete("/apis/example.test/v1/namespaces/transcripts/widgets/bad3") }
            return
        }
        #expect(r.status == wantStatus, "\(id) \(req["method"]?.stringValue ?? "") \(path): status \(r.status), recorded \(wantStatus): \(r.json.compactString().prefix(400))")
        guard let recorded = resp["body"].map(Self.expandPlaceholders) else { return }
        values.learn(recorded: recorded, ours: r.json)
        if let gen = req[path: "body", "metadata", "generateName"]?.stringValue, req[path: "body", "metadata", "name"] == nil {
            // A generated name is random: the recording's stands for ours.
            let theirs = recorded[path: "metadata", "name"] ?? recorded[path: "details", "name"]
            let mine = r.json[path: "metadata", "name"] ?? r.json[path: "details", "name"]
            if let t = theirs?.stringValue, let m = mine?.stringValue, m.hasPrefix(gen), m.count == t.count { values.map[t] = m }
        }
        if case .statusOnly? = known?.0 { return }
        let ours = r.json
        if recorded["kind"] == "Status" {
            #expect(ours["kind"] == "Status", "\(id)")
            #expect(ours["reason"] == recorded["reason"], "\(id): reason \(ours["reason"]?.compactString() ?? "nil")")
            #expect(ours["code"] == recorded["code"], "\(id)")
            let wantMessage = values.substituteText(recorded["message"]?.stringValue ?? "")
            let ourMessage = ours["message"]?.stringValue ?? ""
            if case .causeOrder? = known?.0 {
                // Same prefix, and every recorded cause ("field: message") appears in ours.
                #expect(ourMessage.prefix(while: { $0 != "[" }) == wantMessage.prefix(while: { $0 != "[" }), "\(id)")
                for cause in recorded[path: "details", "causes"]?.arrayValue ?? [] {
                    let text = "\(cause["field"]?.stringValue ?? ""): \(cause["message"]?.stringValue ?? "")"
                    #expect(ourMessage.contains(text), "\(id): \(text) not in \(ourMessage)")
                }
            } else {
                #expect(ourMessage == wantMessage, "\(id): message\n ours: \(ourMessage)\n real: \(wantMessage)")
            }
            let rd = recorded["details"]?.objectValue, od = ours["details"]?.objectValue
            #expect(Set(rd?.keys.map { $0 } ?? []) == Set(od?.keys.map { $0 } ?? []), "\(id): details keys \(od?.keys.sorted() ?? []) vs \(rd?.keys.sorted() ?? [])")
            for k in ["name", "group", "kind"] {
                let want = rd?[k].map { v in v.stringValue.flatMap { values.map[$0] }.map(JSONValue.string) ?? values.substitute(v) }
                #expect(od?[k] == want, "\(id): details.\(k)")
            }
            let rc = (rd?["causes"]?.arrayValue ?? []).map { [$0["reason"], $0["field"]] }
            let oc = (od?["causes"]?.arrayValue ?? []).map { [$0["reason"], $0["field"]] }
            #expect(Set(rc.map { JSONValue.array($0.map { $0 ?? .null }) }) == Set(oc.map { JSONValue.array($0.map { $0 ?? .null }) }), "\(id): causes \(oc) vs \(rc)")
            return
        }
        switch id {
        case "00#2":
            let names = (ours["resources"]?.arrayValue ?? []).map { [$0["name"], $0["kind"], $0["namespaced"]] }
            let want = (recorded["resources"]?.arrayValue ?? []).map { [$0["name"], $0["kind"], $0["namespaced"]] }
            #expect(names == want, "\(id)")
            let verbs = Set((ours["resources"]?.arrayValue?.first?["verbs"]?.arrayValue ?? []))
            #expect(verbs == Set(recorded["resources"]?.arrayValue?.first?["verbs"]?.arrayValue ?? []), "\(id)")
        case "00#3":
            #expect((ours["groups"]?.arrayValue ?? []).contains { $0["name"] == "example.test" && $0[path: "preferredVersion", "version"] == "v1" })
        case "04#10":
            let cols = { (t: JSONValue) in (t["columnDefinitions"]?.arrayValue ?? []).map { [$0["name"], $0["type"]] } }
            #expect(cols(ours) == cols(recorded), "\(id)")
            let cells = { (t: JSONValue) in (t["rows"]?.arrayValue ?? []).map { Array(($0["cells"]?.arrayValue ?? []).dropLast()) } }
            #expect(cells(ours) == cells(recorded), "\(id)")
        case "07#0", "07#4":
            let sent = try JSONValue.parseFast(body ?? Data())
            let fields = id == "07#0" ? ["spec"] : ["eventTime", "note", "reason", "regarding", "action"]
            for f in fields { #expect(ours[f] == sent[f], "\(id): \(f)") }
            #expect(ours["series"] == nil, "\(id)")
        default:
            if recorded["items"] != nil {
                #expect(ours.names == recorded.names, "\(id): items \(ours.names) vs \(recorded.names)")
                let rm = recorded["metadata"]?.objectValue ?? [:], om = ours["metadata"]?.objectValue ?? [:]
                #expect((rm["continue"]?.stringValue ?? "").isEmpty == (om["continue"]?.stringValue ?? "").isEmpty, "\(id): continue")
                #expect(rm["remainingItemCount"] == om["remainingItemCount"], "\(id): remainingItemCount")
                let d = Self.diff(recorded, ours, map: values.map)
                #expect(d.isEmpty, "\(id): \(d.prefix(8))")
            } else {
                let d = Self.diff(recorded, ours, map: values.map)
                #expect(d.isEmpty, "\(id): \(d.prefix(8))")
                let managers = { (o: JSONValue) in
                    Set((o[path: "metadata", "managedFields"]?.arrayValue ?? []).map { [$0["manager"] ?? .null, $0["operation"] ?? .null, $0["subresource"] ?? .null] })
                }
                #expect(managers(ours) == managers(recorded), "\(id): managedFields \(managers(ours)) vs \(managers(recorded))")
            }
        }
    }

    func replayWatch(_ id: String, path: String, recorded: [JSONValue], client c: RawClient, values: ValueMap) async throws {
        let base = "/apis/example.test/v1/namespaces/transcripts/widgets"
        // The recording's 3 s watch gets its pre-timeout BOOKMARK 1 s after opening; the four writes made
        // while it is open must come first, which a loaded machine cannot promise in 1 s. With 12 s the
        // bookmark comes 10 s after opening and the events keep the recorded order.
        let path = id == "05#1" ? path.replacingOccurrences(of: "timeoutSeconds=3", with: "timeoutSeconds=12") : path
        let w = try await c.watch(path, timeout: .seconds(30), onOpen: {
            if id == "16#6" {
                // The recording created a third Gadget and changed the first while this watch was open.
                let ns = self.gadgets("tx-watch")
                _ = try await c.send(.POST, ns, body: self.gadget("third").compactData(), headers: Self.recorder)
                let patch: JSONValue = ["spec": ["priority": 2]]
                _ = try await c.send(.PATCH, ns + "/quiet", body: patch.compactData(), contentType: "application/merge-patch+json", headers: Self.recorder)
                return
            }
            guard id == "05#1" else { return }
            // What the recording did while this watch was open.
            var wx = widget("wx")
            wx["metadata"]?["namespace"] = "transcripts"
            let ua = ["User-Agent": "python-requests/2.32.3"]
            var o = try await c.send(.POST, base, body: wx.compactData(), headers: ua).json
            o["spec"] = ["size": 2]
            o = try await c.send(.PUT, "\(base)/wx", body: o.compactData(), headers: ua).json
            o["status"] = ["phase": "Up"]
            _ = try await c.send(.PUT, "\(base)/wx/status", body: o.compactData(), headers: ua)
            _ = try await c.send(.DELETE, "\(base)/wx", headers: ua)
        })
        let summary = { (es: [JSONValue]) in
            es.map { e -> String in
                let t = e["type"]?.stringValue ?? ""
                if t == "BOOKMARK" {
                    return "BOOKMARK" + (e[path: "object", "metadata", "annotations", "k8s.io/initial-events-end"] == "true" ? "(initial-events-end)" : "")
                }
                if t == "ERROR" { return "ERROR(\(e[path: "object", "code"]?.compactString() ?? "")/\(e[path: "object", "reason"]?.stringValue ?? ""))" }
                return "\(t) \(e[path: "object", "metadata", "name"]?.stringValue ?? "")"
            }
        }
        #expect(w.status == 200, "\(id)")
        var ours = w.events, recorded = recorded
        if case .ignoreLiveBookmarks? = Self.knownDifferences[id]?.0 {
            let live = { (e: JSONValue) in e["type"] == "BOOKMARK" && e[path: "object", "metadata", "annotations", "k8s.io/initial-events-end"] != "true" }
            ours.removeAll(where: live)
            recorded.removeAll(where: live)
        }
        #expect(summary(ours) == summary(recorded), "\(id): \(summary(ours)) vs \(summary(recorded))")
        for (r, o) in zip(recorded, ours) where r["type"] != "BOOKMARK" && r["type"] != "ERROR" {
            let d = Self.diff(r["object"] ?? .null, o["object"] ?? .null)
            #expect(d.isEmpty, "\(id): \(d.prefix(5))")
        }
    }
}
