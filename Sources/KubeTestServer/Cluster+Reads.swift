import Foundation
import KubeCore

/// get and list.
extension Cluster {
    func getObject(_ c: RequestContext) throws -> Reply {
        guard let o = get(c.key) else { throw APIError.notFound(c.type, c.name ?? "") }
        if c.apiVersion == o.object["apiVersion"]?.stringValue {
            return Reply(status: 200, body: o.bytes)
        }
        return Reply.object(200, present(o.object, c))
    }

    /// Parsed selectors of a list or watch (400 when malformed or unsupported).
    static func selectors(_ c: RequestContext) throws -> (LabelSelector, FieldSelector?) {
        var ls = LabelSelector()
        if let s = c.query["labelSelector"], !s.isEmpty {
            do { ls = try LabelSelector(parsing: s) } catch { throw APIError.badRequest(error.description) }
        }
        var fs: FieldSelector?
        if let s = c.query["fieldSelector"], !s.isEmpty {
            do { fs = try FieldSelector(parsing: s) } catch { throw APIError.badRequest(error.description) }
            for r in fs!.requirements where r.field != "metadata.name" && r.field != "metadata.namespace" {
                if c.type.isCustom { throw APIError.badRequest("field label not supported: \(r.field)") }
            }
        }
        return (ls, fs)
    }

    static func fieldValue(_ o: JSONValue, _ field: String) -> String? {
        var cur: JSONValue? = o
        for p in field.split(separator: ".") { cur = cur?[String(p)] }
        switch cur {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .bool(let b)?: return String(b)
        default: return nil
        }
    }

    static func matches(_ o: JSONValue, _ ls: LabelSelector, _ fs: FieldSelector?) -> Bool {
        if !ls.isEmpty, !ls.matches(labelsOf(o)) { return false }
        if let fs, !fs.matches({ fieldValue(o, $0) }) { return false }
        return true
    }

    struct ContinueToken {
        var rv: Int64
        var namespace: String
        var name: String

        func encoded(allNamespaces: Bool) -> String {
            let start = allNamespaces ? "/\(namespace)/\(name)\u{0}" : "/\(name)\u{0}"
            let o: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string(start)]
            return Data(o.compactData()).base64EncodedString()
        }

        static func decode(_ s: String, allNamespaces: Bool, namespace: String?) throws -> ContinueToken {
            func bad(_ why: String) -> APIError { APIError.badRequest("invalid continue token: continue key is not valid: \(why)") }
            var padded = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while padded.count % 4 != 0 { padded += "=" }
            guard let d = Data(base64Encoded: padded) else { throw bad("illegal base64 data") }
            let o: JSONValue
            do { o = try JSONValue.parseFast(d) } catch { throw bad(error.description) }
            guard o["v"]?.stringValue == "meta.k8s.io/v1", let rv = o["rv"]?.intValue, var start = o["start"]?.stringValue,
                  start.hasSuffix("\u{0}") else { throw bad("unknown continue token format") }
            start = String(start.dropLast())
            if start.hasPrefix("/") { start.removeFirst() }
            if allNamespaces {
                let parts = start.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw bad("continue key does not name an object") }
                return ContinueToken(rv: rv, namespace: String(parts[0]), name: String(parts[1]))
            }
            return ContinueToken(rv: rv, namespace: namespace ?? "", name: start)
        }
    }

    /// ListOptions validation (apimachinery's ValidateListOptions): 422 `ListOptions.meta.k8s.io "" is invalid`.
    static func validateListOptions(_ c: RequestContext, watch: Bool) throws {
        let match = c.query["resourceVersionMatch"] ?? ""
        let rvParam = c.query["resourceVersion"] ?? ""
        let cont = c.query["continue"] ?? ""
        var causes: [StatusResponse.Cause] = []
        func forbidden(_ field: String, _ why: String) {
            causes.append(.init(reason: "FieldValueForbidden", message: "Forbidden: \(why)", field: field))
        }
        if watch {
            if c.query["sendInitialEvents"] != nil {
                if match != "NotOlderThan" {
                    forbidden("resourceVersionMatch", "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
                }
                if !match.isEmpty && match != "NotOlderThan" {
                    causes.append(.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(q(match)): supported values: \"NotOlderThan\"", field: "resourceVersionMatch"))
                }
            } else if !match.isEmpty {
                forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden for watch")
            }
        } else {
            if !match.isEmpty {
                if rvParam.isEmpty { forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden unless resourceVersion is provided") }
                if !cont.isEmpty { forbidden("resourceVersionMatch", "resourceVersionMatch is forbidden when continue is provided") }
                if match != "Exact" && match != "NotOlderThan" {
                    causes.append(.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(q(match)): supported values: \"Exact\", \"NotOlderThan\"", field: "resourceVersionMatch"))
                }
                if match == "Exact" && rvParam == "0" {
                    forbidden("resourceVersionMatch", "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
                }
            }
            if c.query["sendInitialEvents"] != nil { forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list") }
        }
        if !causes.isEmpty {
            let parts = causes.map { "\($0.field ?? ""): \($0.message ?? "")" }
            let list = parts.count == 1 ? parts[0] : "[\(parts.joined(separator: ", "))]"
            throw APIError(422, "Invalid", "ListOptions.meta.k8s.io \"\" is invalid: \(list)",
                           details: .init(group: "meta.k8s.io", kind: "ListOptions", causes: causes))
        }
        if !watch && !cont.isEmpty && !rvParam.isEmpty {
            throw APIError.badRequest("specifying resource version is not allowed when using continue")
        }
    }

    static let expiredContinue = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

    mutating func list(_ c: RequestContext) throws -> Reply {
        let (ls, fs) = try Self.selectors(c)
        try Self.validateListOptions(c, watch: false)
        let compacted = listCompactedRV(now: Date())
        let rvParam = c.query["resourceVersion"] ?? ""
        if !rvParam.isEmpty && rvParam != "0" {
            guard let want = Int64(rvParam) else {
                throw APIError.badRequest("invalid resource version: \(rvParam)")
            }
            if c.query["resourceVersionMatch"] == "Exact" && want < compacted {
                throw APIError(410, "Expired", "The resourceVersion for the provided list is too old.")
            }
        }
        let limit = Int(c.query["limit"] ?? "") ?? 0
        let allNamespaces = c.type.namespaced && c.namespace == nil
        var token: ContinueToken?
        if let cont = c.query["continue"], !cont.isEmpty {
            token = try ContinueToken.decode(cont, allNamespaces: allNamespaces, namespace: c.namespace)
            // rv -1: the inconsistent continuation an expired token's 410 offers (reads the current state).
            if token!.rv != -1 && token!.rv < compacted {
                var inconsistent = token!
                inconsistent.rv = -1
                var e = APIError(410, "Expired", Self.expiredContinue)
                e.continueToken = inconsistent.encoded(allNamespaces: allNamespaces)
                throw e
            }
        }
        let listRV = token.map { $0.rv == -1 ? rv : $0.rv } ?? rv
        let keys = sortedKeys(c.type, namespace: c.type.namespaced ? c.namespace : "")
        var startIndex = 0
        if let t = token {
            var lo = 0, hi = keys.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if keys[mid] <= (t.namespace, t.name) { lo = mid + 1 } else { hi = mid }
            }
            startIndex = lo
        }
        let filtered = !ls.isEmpty || fs != nil
        var items: [[UInt8]] = []
        var last: (String, String)?
        var remaining = 0
        var i = startIndex
        let storageAV = c.type.apiVersion(c.type.storageVersion.name)
        while i < keys.count {
            let (ns, name) = keys[i]
            i += 1
            guard let so = objects[c.type.key]?[ns]?[name] else { continue }
            if filtered && !Self.matches(so.object, ls, fs) { continue }
            if limit > 0 && items.count >= limit {
                remaining += 1
                continue
            }
            items.append(c.apiVersion == storageAV ? so.bytes : present(so.bytes, c.type, c.apiVersion))
            last = (ns, name)
        }
        var meta: [String: JSONValue] = ["resourceVersion": .string(String(listRV))]
        if remaining > 0, let last {
            meta["continue"] = .string(ContinueToken(rv: listRV, namespace: last.0, name: last.1).encoded(allNamespaces: allNamespaces))
            if !filtered { meta["remainingItemCount"] = .int(Int64(remaining)) }
        } else if c.type.isCustom {
            meta["continue"] = ""
        }
        if wantsTable(c) {
            return Reply.object(200, table(c, items: items, meta: meta))
        }
        var out: [UInt8] = []
        out.reserveCapacity(items.reduce(128) { $0 + $1.count + 1 })
        out.append(contentsOf: #"{"apiVersion":"#.utf8)
        JSONValue.string(c.apiVersion).write(into: &out)
        out.append(contentsOf: #","items":["#.utf8)
        for (n, b) in items.enumerated() {
            if n > 0 { out.append(44) }
            out.append(contentsOf: b)
        }
        out.append(contentsOf: #"],"kind":"#.utf8)
        JSONValue.string(c.type.listKind).write(into: &out)
        out.append(contentsOf: #","metadata":"#.utf8)
        JSONValue.object(meta).write(into: &out)
        out.append(125)
        return Reply(status: 200, body: out)
    }

    func wantsTable(_ c: RequestContext) -> Bool {
        (c.headers["accept"] ?? "").contains("as=Table")
    }

    /// meta.k8s.io/v1 Table from the CRD's printer columns (Name and Age for kinds without columns).
    func table(_ c: RequestContext, items: [[UInt8]], meta: [String: JSONValue]) -> JSONValue {
        let version = c.type.version(c.version)
        var columns: [JSONValue] = [[
            "name": "Name", "type": "string", "format": "name", "priority": 0,
            "description": "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
        ]]
        var paths: [(String, String)] = []
        let printer = version?.printerColumns ?? []
        if printer.isEmpty {
            columns.append(["name": "Age", "type": "date", "format": "", "priority": 0,
                            "description": "CreationTimestamp is a timestamp representing the server time when this object was created."])
            paths.append((".metadata.creationTimestamp", "date"))
        }
        for col in printer {
            let jp = col["jsonPath"]?.stringValue ?? ""
            let type = col["type"]?.stringValue ?? "string"
            columns.append(["name": col["name"] ?? "", "type": .string(type), "format": col["format"] ?? "",
                            "description": col["description"] ?? .string("Custom resource definition column (in JSONPath format): \(jp)"),
                            "priority": col["priority"] ?? 0])
            paths.append((jp, type))
        }
        let rows: [JSONValue] = items.compactMap { bytes in
            guard let o = try? JSONValue.parseFast(Data(bytes)) else { return nil }
            var cells: [JSONValue] = [o[path: "metadata", "name"] ?? ""]
            for (jp, type) in paths {
                var v: JSONValue? = o
                for p in jp.split(separator: ".") { v = v?[String(p)] }
                if type == "date", let s = v?.stringValue, let d = KubeTime.parse(s) {
                    cells.append(.string(Self.humanAge(c.now.timeIntervalSince(d))))
                } else {
                    cells.append(v ?? .null)
                }
            }
            var pm = o["metadata"] ?? .object([:])
            pm["managedFields"] = o[path: "metadata", "managedFields"]
            return ["cells": .array(cells), "object": ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": pm]]
        }
        return ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": .object(meta.filter { $0.key != "continue" || $0.value != "" }),
                "columnDefinitions": .array(columns), "rows": .array(rows)]
    }

    /// kubectl's duration format: 0s, 42s, 5m3s, 3h, 2d...
    static func humanAge(_ t: TimeInterval) -> String {
        let s = max(0, Int(t))
        if s < 120 { return "\(s)s" }
        let m = s / 60
        if m < 10 { return "\(m)m\(s % 60)s" }
        if m < 180 { return "\(m)m" }
        let h = m / 60
        if h < 48 { return "\(h)h" }
        let d = h / 24
        if d < 365 * 2 { return "\(d)d" }
        return "\(d / 365)y"
    }
}
