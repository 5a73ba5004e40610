import Foundation
import KubeCore

/// Field ownership for server-side apply, kept in `metadata.managedFields` (FieldsV1) like the real server.
/// A path is a list of FieldsV1 keys: `f:spec`, `f:size`; list-map elements `k:{"type":"Ready"}` (with a
/// `.` marker for the element itself); set elements `v:"x"`. Atomic lists and scalars are leaves.
/// Simplification: map nodes carry no `.` marker of their own (ownership is tracked on leaves).
typealias FieldPath = [String]

struct ManagedFieldsEntry: Sendable, Hashable {
    var manager: String
    var operation: String
    var subresource: String?
    var apiVersion: String
    var time: String
    var fields: Set<FieldPath>

    func json() -> JSONValue {
        var o: [String: JSONValue] = [
            "manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
            "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": ManagedFields.trie(fields),
        ]
        if let subresource { o["subresource"] = .string(subresource) }
        return .object(o)
    }
}

struct ApplyConflicts: Error, Sendable {
    var list: [ApplyConflict]
}

/// A server-side apply conflict: the field and the manager that owns it.
struct ApplyConflict: Sendable, Hashable {
    var manager: String
    var operation: String
    var apiVersion: String
    var field: String
}

enum ManagedFields {
    // MARK: paths of an object

    /// The leaf paths an object sets (metadata: labels, annotations, finalizers, ownerReferences only).
    static func leaves(_ object: JSONValue, schema: JSONValue?) -> Set<FieldPath> {
        var out: Set<FieldPath> = []
        guard case .object(let o) = object else { return out }
        for (k, v) in o {
            switch k {
            case "apiVersion", "kind": continue
            case "metadata":
                guard case .object(let m) = v else { continue }
                for mk in ["labels", "annotations"] {
                    if case .object(let l)? = m[mk] { for lk in l.keys { out.insert(["f:metadata", "f:\(mk)", "f:\(lk)"]) } }
                }
                for f in m["finalizers"]?.arrayValue ?? [] { out.insert(["f:metadata", "f:finalizers", "v:\(f.compactString())"]) }
                for r in m["ownerReferences"]?.arrayValue ?? [] {
                    guard let uid = r["uid"] else { continue }
                    let key = "k:" + JSONValue.object(["uid": uid]).compactString()
                    out.insert(["f:metadata", "f:ownerReferences", key, "."])
                    collect(r, schema: nil, prefix: ["f:metadata", "f:ownerReferences", key], into: &out)
                }
            default:
                collect(v, schema: childSchema(schema, k), prefix: ["f:\(k)"], into: &out)
            }
        }
        return out
    }

    /// The top-level fields whose leaves may differ between `old` and `new`: of metadata only what `leaves` reads.
    static func differingFields(_ old: JSONValue?, _ new: JSONValue) -> Set<String> {
        let before = old?.objectValue ?? [:], after = new.objectValue ?? [:]
        return Set(before.keys).union(after.keys).filter { k in
            guard k == "metadata" else { return before[k] != after[k] }
            return ["labels", "annotations", "finalizers", "ownerReferences"].contains { before[k]?[$0] != after[k]?[$0] }
        }
    }

    static func collect(_ v: JSONValue, schema: JSONValue?, prefix: FieldPath, into out: inout Set<FieldPath>) {
        switch v {
        case .object(let o) where !o.isEmpty && prefix.count > 0 && !isAtomicMap(schema):
            for (k, c) in o { collect(c, schema: childSchema(schema, k), prefix: prefix + ["f:\(k)"], into: &out) }
        case .array(let a):
            let listType = schema?["x-kubernetes-list-type"]?.stringValue
            if listType == "map", let keys = schema?["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) {
                for e in a {
                    let ek = elementKey(e, keys)
                    out.insert(prefix + [ek, "."])
                    if case .object(let eo) = e {
                        for (k, c) in eo { collect(c, schema: childSchema(schema?["items"], k), prefix: prefix + [ek, "f:\(k)"], into: &out) }
                    }
                }
            } else if listType == "set" {
                for e in a { out.insert(prefix + ["v:\(e.compactString())"]) }
            } else {
                out.insert(prefix)
            }
        default:
            out.insert(prefix)
        }
    }

    static func isAtomicMap(_ schema: JSONValue?) -> Bool { schema?["x-kubernetes-map-type"]?.stringValue == "atomic" }

    static func elementKey(_ e: JSONValue, _ keys: [String]) -> String {
        var o: [String: JSONValue] = [:]
        for k in keys { o[k] = e[k] ?? .null }
        return "k:" + JSONValue.object(o).compactString()
    }

    static func childSchema(_ schema: JSONValue?, _ key: String) -> JSONValue? {
        guard let schema else { return nil }
        if let p = schema["properties"]?[key] { return p }
        if case .object = schema["additionalProperties"] ?? .null { return schema["additionalProperties"] }
        return nil
    }

    /// The value a path names (nil = absent). `.` names the list element itself.
    static func value(at path: FieldPath, in object: JSONValue) -> JSONValue? {
        var cur: JSONValue? = object
        for p in path {
            guard let c = cur else { return nil }
            if p == "." { continue }
            if p.hasPrefix("f:") {
                cur = c[String(p.dropFirst(2))]
            } else if p.hasPrefix("k:") {
                guard let keyObj = try? JSONValue.parseFast(String(p.dropFirst(2))), case .object(let ko) = keyObj else { return nil }
                cur = c.arrayValue?.first { e in ko.allSatisfy { e[$0.key] == $0.value } }
            } else if p.hasPrefix("v:") {
                guard let v = try? JSONValue.parseFast(String(p.dropFirst(2))) else { return nil }
                cur = c.arrayValue?.contains(v) == true ? v : nil
            } else {
                return nil
            }
        }
        return cur
    }

    /// Removes what a path names from an object (used when an applier stops setting a field nobody else owns).
    static func remove(_ path: FieldPath, from object: inout JSONValue) {
        var p = path
        if p.last == "." { p.removeLast() }
        guard let last = p.last else { return }
        let parent = Array(p.dropLast())
        update(&object, at: parent[...]) { container in
            if last.hasPrefix("f:") {
                container[String(last.dropFirst(2))] = nil
                if case .object(let o) = container, o.isEmpty, !parent.isEmpty { /* keep empty maps */ }
            } else if last.hasPrefix("k:"), var a = container.arrayValue,
                      let keyObj = try? JSONValue.parseFast(String(last.dropFirst(2))), case .object(let ko) = keyObj {
                a.removeAll { e in ko.allSatisfy { e[$0.key] == $0.value } }
                container = .array(a)
            } else if last.hasPrefix("v:"), var a = container.arrayValue, let v = try? JSONValue.parseFast(String(last.dropFirst(2))) {
                a.removeAll { $0 == v }
                container = .array(a)
            }
        }
    }

    static func update(_ v: inout JSONValue, at path: ArraySlice<String>, _ f: (inout JSONValue) -> Void) {
        guard let first = path.first else { f(&v); return }
        if first.hasPrefix("f:") {
            let k = String(first.dropFirst(2))
            guard var c = v[k] else { return }
            update(&c, at: path.dropFirst(), f)
            v[k] = c
        } else if first.hasPrefix("k:"), var a = v.arrayValue,
                  let keyObj = try? JSONValue.parseFast(String(first.dropFirst(2))), case .object(let ko) = keyObj,
                  let i = a.firstIndex(where: { e in ko.allSatisfy { e[$0.key] == $0.value } }) {
            update(&a[i], at: path.dropFirst(), f)
            v = .array(a)
        }
    }

    /// ".spec.size", ".status.conditions[type=\"Ready\"]" — how conflicts name a field.
    static func describe(_ path: FieldPath) -> String {
        var s = ""
        for p in path {
            if p == "." { continue }
            if p.hasPrefix("f:") { s += "." + p.dropFirst(2) }
            else if p.hasPrefix("k:"), let ko = (try? JSONValue.parseFast(String(p.dropFirst(2))))?.objectValue {
                s += "[" + ko.keys.sorted().map { "\($0)=\(ko[$0]!.compactString())" }.joined(separator: ",") + "]"
            } else if p.hasPrefix("v:") { s += "[" + p.dropFirst(2) + "]" }
        }
        return s
    }

    // MARK: FieldsV1 <-> paths

    static func trie(_ paths: Set<FieldPath>) -> JSONValue {
        final class Node { var children: [String: Node] = [:] }
        let root = Node()
        for p in paths {
            var n = root
            for k in p {
                if let c = n.children[k] { n = c } else { let c = Node(); n.children[k] = c; n = c }
            }
        }
        func render(_ n: Node) -> JSONValue { .object(n.children.mapValues(render)) }
        return render(root)
    }

    static func paths(_ trie: JSONValue) -> Set<FieldPath> {
        var out: Set<FieldPath> = []
        func walk(_ v: JSONValue, _ prefix: FieldPath) {
            guard case .object(let o) = v else { return }
            if o.isEmpty { if !prefix.isEmpty { out.insert(prefix) }; return }
            for (k, c) in o { walk(c, prefix + [k]) }
        }
        walk(trie, [])
        return out
    }

    static func entries(of object: JSONValue) -> [ManagedFieldsEntry] {
        (object[path: "metadata", "managedFields"]?.arrayValue ?? []).compactMap { e in
            guard let m = e["manager"]?.stringValue, let op = e["operation"]?.stringValue else { return nil }
            return ManagedFieldsEntry(
                manager: m, operation: op, subresource: e["subresource"]?.stringValue,
                apiVersion: e["apiVersion"]?.stringValue ?? "", time: e["time"]?.stringValue ?? "",
                fields: paths(e["fieldsV1"] ?? .object([:])))
        }
    }

    static func render(_ entries: [ManagedFieldsEntry]) -> JSONValue? {
        let kept = entries.filter { !$0.fields.isEmpty }
        return kept.isEmpty ? nil : .array(kept.map { $0.json() })
    }

    // MARK: operations

    /// An Update (PUT, merge/JSON patch, create): the manager takes the fields it added or changed,
    /// others lose them; removed fields leave every set.
    static func recordUpdate(old: JSONValue?, new: JSONValue, manager: String, subresource: String?,
                             apiVersion: String, time: String, schema: JSONValue?) -> JSONValue? {
        // Only the top-level fields that differ can change the field sets (a status write leaves spec and
        // metadata as they were): the leaves of the rest are skipped, their values being the same.
        let differing = differingFields(old, new)
        let oldLeaves = old.map { leaves($0.restricted(to: differing), schema: schema) } ?? []
        let newLeaves = leaves(new.restricted(to: differing), schema: schema)
        var changed: Set<FieldPath> = []
        for p in newLeaves where !oldLeaves.contains(p) || value(at: p, in: old ?? .null) != value(at: p, in: new) {
            changed.insert(p)
        }
        let removed = oldLeaves.subtracting(newLeaves)
        var entries = old.map(entries(of:)) ?? []
        for i in entries.indices {
            let before = entries[i].fields
            entries[i].fields.subtract(changed)
            entries[i].fields.subtract(removed)
            if entries[i].fields != before, entries[i].manager == manager { entries[i].time = time }
        }
        if !changed.isEmpty {
            if let i = entries.firstIndex(where: { $0.manager == manager && $0.operation == "Update" && $0.subresource == subresource }) {
                entries[i].fields.formUnion(changed)
                entries[i].time = time
            } else {
                entries.append(ManagedFieldsEntry(manager: manager, operation: "Update", subresource: subresource,
                                                  apiVersion: apiVersion, time: time, fields: changed))
            }
        }
        return render(entries)
    }

    /// Server-side apply of `config` by `manager` onto `current` (nil = create). Returns the merged object
    /// (managedFields set) or the conflicts when another manager owns a field `config` changes.
    static func apply(current: JSONValue?, config: JSONValue, manager: String, subresource: String?, force: Bool,
                      apiVersion: String, time: String, schema: JSONValue?) -> Result<JSONValue, ApplyConflicts> {
        var cfg = config
        // The main resource ignores status in an apply; /status applies only status.
        if case .object(var o) = cfg {
            if subresource == "status" {
                o = o.filter { ["apiVersion", "kind", "metadata", "status"].contains($0.key) }
                if var m = o["metadata"]?.objectValue {
                    m = m.filter { ["name", "namespace"].contains($0.key) }
                    o["metadata"] = .object(m)
                }
            } else {
                o["status"] = nil
            }
            cfg = .object(o)
        }
        let configLeaves = leaves(cfg, schema: schema)
        var entries = current.map(entries(of:)) ?? []
        let mine = entries.firstIndex { $0.manager == manager && $0.operation == "Apply" && $0.subresource == subresource }
        var conflicts: [ApplyConflict] = []
        var conflictingPaths: [Int: Set<FieldPath>] = [:]
        if let current {
            for (i, e) in entries.enumerated() where i != mine {
                for p in e.fields.intersection(configLeaves) where p.last != "." {
                    if value(at: p, in: current) != value(at: p, in: cfg) {
                        conflicts.append(ApplyConflict(manager: e.manager, operation: e.operation, apiVersion: e.apiVersion, field: describe(p)))
                        conflictingPaths[i, default: []].insert(p)
                    }
                }
            }
        }
        if !conflicts.isEmpty && !force {
            return .failure(ApplyConflicts(list: conflicts.sorted { ($0.manager, $0.field) < ($1.manager, $1.field) }))
        }
        for (i, ps) in conflictingPaths { entries[i].fields.subtract(ps) }
        var merged = merge(current ?? .object([:]), cfg, schema: schema, root: true)
        if let mine {
            let dropped = entries[mine].fields.subtracting(configLeaves)
            // Whole list elements first: removing an element's fields one by one could leave a keyless husk.
            let ordered = dropped.sorted { ($0.last == "." ? 0 : 1, $0.count) < ($1.last == "." ? 0 : 1, $1.count) }
            for p in ordered where !entries.enumerated().contains(where: { $0.offset != mine && $0.element.fields.contains(p) }) {
                remove(p, from: &merged)
            }
            entries[mine].fields = configLeaves
            entries[mine].time = time
        } else {
            entries.append(ManagedFieldsEntry(manager: manager, operation: "Apply", subresource: subresource,
                                              apiVersion: apiVersion, time: time, fields: configLeaves))
        }
        var meta = merged["metadata"] ?? .object([:])
        meta["managedFields"] = render(entries)
        merged["metadata"] = meta
        return .success(merged)
    }

    /// Apply's merge: maps merge, list-maps merge by key, sets union, everything else is replaced.
    static func merge(_ current: JSONValue, _ config: JSONValue, schema: JSONValue?, root: Bool = false) -> JSONValue {
        switch (current, config) {
        case (.object(var c), .object(let n)):
            for (k, v) in n {
                let cs: JSONValue? = root && k == "metadata" ? metadataSchema : childSchema(schema, k)
                c[k] = c[k].map { merge($0, v, schema: cs) } ?? v
            }
            return .object(c)
        case (.array(let c), .array(let n)):
            // Like structured-merge-diff: the live entries the applier does not mention keep their place in
            // front, then the applier's entries in the applier's order (merged with the live ones).
            let listType = schema?["x-kubernetes-list-type"]?.stringValue
            if listType == "map", let keys = schema?["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) {
                let applied = Set(n.map { elementKey($0, keys) })
                var out = c.filter { !applied.contains(elementKey($0, keys)) }
                for e in n {
                    let k = elementKey(e, keys)
                    out.append(c.first(where: { elementKey($0, keys) == k }).map { merge($0, e, schema: schema?["items"]) } ?? e)
                }
                return .array(out)
            }
            if listType == "set" {
                return .array(c.filter { !n.contains($0) } + n)
            }
            return config
        default:
            return config
        }
    }

    /// How metadata's lists behave under apply.
    static let metadataSchema: JSONValue = [
        "properties": [
            "finalizers": ["x-kubernetes-list-type": "set"],
            "ownerReferences": ["x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["uid"]],
        ],
    ]
}

extension JSONValue {
    /// The object with only the top-level `fields` (anything else unchanged).
    fileprivate func restricted(to fields: Set<String>) -> JSONValue {
        guard case .object(let o) = self else { return self }
        return .object(o.filter { fields.contains($0.key) })
    }
}
