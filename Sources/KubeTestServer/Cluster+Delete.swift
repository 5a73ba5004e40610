import Foundation
import KubeCore

/// delete, deletecollection, finalizers; what the garbage collector does to dependents (Cluster+Controllers runs it).
extension Cluster {
    struct DeleteOptions {
        var propagation: String?
        var uid: String?
        var resourceVersion: String?
        var dryRun = false
    }

    static func deleteOptions(_ c: RequestContext) throws -> DeleteOptions {
        var o = DeleteOptions()
        o.propagation = c.query["propagationPolicy"]
        o.dryRun = c.query["dryRun"] == "All"
        if !c.body.isEmpty, !c.body.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 13 || $0 == 9 }) {
            let body: JSONValue
            do { body = try JSONValue.parseFast(c.body) } catch {
                throw APIError.badRequest("json: cannot unmarshal DeleteOptions: \(error.description)")
            }
            if let p = body["propagationPolicy"]?.stringValue { o.propagation = p }
            if body["orphanDependents"]?.boolValue == true { o.propagation = "Orphan" }
            o.uid = body[path: "preconditions", "uid"]?.stringValue
            o.resourceVersion = body[path: "preconditions", "resourceVersion"]?.stringValue
            if let d = body["dryRun"]?.arrayValue, d.contains("All") { o.dryRun = true }
        }
        if let p = o.propagation, !["Orphan", "Background", "Foreground"].contains(p) {
            throw APIError.invalid(c.type, c.name ?? "", [.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(q(p)): supported values: \"Foreground\", \"Background\", \"Orphan\"", field: "propagationPolicy")])
        }
        return o
    }

    mutating func delete(_ c: RequestContext) throws -> Reply {
        let name = c.name ?? ""
        let opts = try Self.deleteOptions(c)
        guard let current = get(c.key)?.object else { throw APIError.notFound(c.type, name) }
        let uid = current[path: "metadata", "uid"]?.stringValue ?? ""
        if let want = opts.uid, want != uid {
            throw APIError(409, "Conflict", "Operation cannot be fulfilled on \(c.type.qualifiedKind) \(q(name)): the UID in the precondition (\(want)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated",
                           details: .init(name: name, group: c.type.group, kind: c.type.kind))
        }
        let rvNow = current[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        if let want = opts.resourceVersion, want != rvNow {
            throw APIError(409, "Conflict", "Operation cannot be fulfilled on \(c.type.qualifiedKind) \(q(name)): the ResourceVersion in the precondition (\(want)) does not match the ResourceVersion in record (\(rvNow)). The object might have been modified",
                           details: .init(name: name, group: c.type.group, kind: c.type.kind))
        }
        if opts.dryRun { return Reply.object(200, present(current, c)) }
        let result = deleteObject(c.type, c.key, propagation: opts.propagation, now: c.now)
        switch result {
        case .terminating(let o): return Reply.object(200, present(o, c))
        case .deleted(let o):
            if c.type.returnDeletedObject { return Reply.object(200, present(o, c)) }
            var details: [String: JSONValue] = ["name": .string(name), "kind": .string(c.type.plural), "uid": .string(uid)]
            if !c.type.group.isEmpty { details["group"] = .string(c.type.group) }
            return Reply.object(200, ["kind": "Status", "apiVersion": "v1", "metadata": .object([:]), "status": "Success",
                                      "details": .object(details)])
        }
    }

    enum DeleteResult {
        case terminating(JSONValue)
        case deleted(JSONValue)
    }

    /// Deletes an object the way the registry does: with finalizers (or foreground/orphan propagation) it
    /// only gets a deletionTimestamp; otherwise it is removed and the garbage collector takes its dependents.
    mutating func deleteObject(_ t: ResourceType, _ key: ObjectKey, propagation: String?, now: Date) -> DeleteResult {
        guard let current = get(key)?.object else { return .deleted(.null) }
        var o = current
        var finalizers = (o[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
        if t.key == "/namespaces" {
            // Terminating until the namespace controller has emptied it (spec.finalizers: kubernetes).
            return .terminating(startNamespaceTermination(t, key, now: now) ?? current)
        }
        let policy = propagation ?? "Background"
        if o[path: "metadata", "deletionTimestamp"] == nil {
            if policy == "Foreground", !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
            if policy == "Orphan", !finalizers.contains("orphan") { finalizers.append("orphan") }
        }
        if !finalizers.isEmpty {
            let wasTerminating = o[path: "metadata", "deletionTimestamp"] != nil
            let changedFinalizers = finalizers != (o[path: "metadata", "finalizers"]?.arrayValue ?? []).compactMap(\.stringValue)
            if wasTerminating && !changedFinalizers { return .terminating(current) }
            o["metadata"]?["finalizers"] = .array(finalizers.map(JSONValue.string))
            if !wasTerminating {
                o["metadata"]?["deletionTimestamp"] = .string(KubeTime.format(now))
                o["metadata"]?["deletionGracePeriodSeconds"] = 0
                if t.tracksGeneration {
                    o["metadata"]?["generation"] = .int((current[path: "metadata", "generation"]?.intValue ?? 0) + 1)
                }
            }
            o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
            put(t, key, o, eventType: "MODIFIED", old: current)
            if finalizers.contains("foregroundDeletion") || finalizers.contains("orphan") { gcFinalizerPending.insert(key) }
            return .terminating(o)
        }
        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
        finalizeDeletion(t, key, final: o)
        return .deleted(o)
    }

    /// Removes the object and collects what it owned.
    mutating func finalizeDeletion(_ t: ResourceType, _ key: ObjectKey, final: JSONValue) {
        remove(t, key, final: final)
        if t.key == "apiextensions.k8s.io/customresourcedefinitions" {
            if case .success(let gone) = ResourceType.fromCRD(final) {
                for ns in objects[gone.key]?.keys.sorted() ?? [] {
                    for name in objects[gone.key]?[ns]?.keys.sorted() ?? [] {
                        var o = objects[gone.key]![ns]![name]!.object
                        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
                        remove(gone, ObjectKey(type: gone.key, namespace: ns, name: name), final: o)
                    }
                }
                types[gone.key] = nil
                watchers[gone.key]?.values.forEach { $0.sink.finish() }
                watchers[gone.key] = nil
            }
        }
        // The garbage collector collects the dependents on its next pass.
        if let uid = final[path: "metadata", "uid"]?.stringValue, dependents[uid]?.isEmpty == false {
            ownersGone.insert(uid)
        }
    }

    /// Dependents of a deleted owner: deleted when no other owner remains, else the reference is dropped.
    mutating func collectGarbage(ownerUID: String, now: Date) {
        guard let deps = dependents[ownerUID] else { return }
        for dep in deps.sorted(by: { ($0.type, $0.namespace, $0.name) < ($1.type, $1.namespace, $1.name) }) {
            guard let t = types[dep.type], let current = get(dep)?.object else { continue }
            let refs = current[path: "metadata", "ownerReferences"]?.arrayValue ?? []
            let others = refs.filter { r in
                guard let u = r["uid"]?.stringValue else { return false }
                return u != ownerUID && uids[u] != nil
            }
            if others.isEmpty {
                _ = deleteObject(t, dep, propagation: "Background", now: now)
            } else {
                var o = current
                o["metadata"]?["ownerReferences"] = .array(refs.filter { $0["uid"]?.stringValue != ownerUID })
                o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
                put(t, dep, o, eventType: "MODIFIED", old: current)
            }
        }
    }

    mutating func orphanDependents(of owner: JSONValue, now: Date) {
        guard let uid = owner[path: "metadata", "uid"]?.stringValue, let deps = dependents[uid] else { return }
        for dep in deps {
            guard let t = types[dep.type], let current = get(dep)?.object else { continue }
            var o = current
            let refs = current[path: "metadata", "ownerReferences"]?.arrayValue ?? []
            let kept = refs.filter { $0["uid"]?.stringValue != uid }
            o["metadata"]?["ownerReferences"] = kept.isEmpty ? nil : .array(kept)
            o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
            put(t, dep, o, eventType: "MODIFIED", old: current)
        }
    }

    mutating func deleteCollection(_ c: RequestContext) throws -> Reply {
        let (ls, fs) = try Self.selectors(c)
        let opts = try Self.deleteOptions(c)
        let listRV = rv
        var items: [[UInt8]] = []
        for (ns, name) in sortedKeys(c.type, namespace: c.type.namespaced ? c.namespace : "") {
            guard let so = objects[c.type.key]?[ns]?[name], Self.matches(so.object, ls, fs) else { continue }
            items.append(so.bytes)
            if !opts.dryRun {
                _ = deleteObject(c.type, ObjectKey(type: c.type.key, namespace: ns, name: name), propagation: opts.propagation, now: c.now)
            }
        }
        var out: [UInt8] = []
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
        var meta: JSONValue = ["resourceVersion": .string(String(listRV))]
        if c.type.isCustom { meta["continue"] = "" }
        meta.write(into: &out)
        out.append(125)
        return Reply(status: 200, body: out)
    }
}
