import Foundation
import KubeCore

/// create, update, patch, apply: the write verbs.
extension Cluster {
    static let generateNameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    // MARK: create

    mutating func create(_ c: RequestContext) throws -> Reply {
        let body = try Self.decodeBody(c)
        guard case .object = body else {
            throw APIError.badRequest("the object provided is unrecognized (must be of type \(c.type.kind)): couldn't get version/kind; json parse error: not an object")
        }
        return try createObject(body, c, manager: c.updateManager, operation: "Update")
    }

    /// Shared by POST and apply-creates.
    mutating func createObject(_ body: JSONValue, _ c: RequestContext, manager: String, operation: String,
                               appliedConfig: JSONValue? = nil) throws -> Reply {
        var o = body
        try checkTypeMeta(&o, c)
        try Self.checkMicroTimes(o, c)
        var meta = o["metadata"]?.objectValue ?? [:]
        // Namespace: from the URL; a different one in the body is refused.
        if c.type.namespaced {
            let ns = c.namespace ?? ""
            if let bodyNS = meta["namespace"]?.stringValue, !bodyNS.isEmpty, bodyNS != ns {
                throw APIError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            meta["namespace"] = .string(ns)
        } else {
            meta["namespace"] = nil
        }
        var name = meta["name"]?.stringValue ?? ""
        if name.isEmpty, let gen = meta["generateName"]?.stringValue, !gen.isEmpty {
            repeat {
                name = gen + String((0..<5).map { _ in Self.generateNameAlphabet.randomElement()! })
            } while get(c.key(name: name)) != nil
        }
        // An empty or malformed name is refused by admission, with the other metadata problems.
        if c.type.namespaced, !namespaceExists(c.namespace ?? "") {
            throw APIError.namespaceNotFound(c.namespace ?? "")
        }
        try checkNamespaceNotTerminating(c, name: name)
        let key = c.key(name: name)
        meta["name"] = .string(name)
        meta["uid"] = .string(UUID().uuidString.lowercased())
        meta["creationTimestamp"] = .string(KubeTime.format(c.now))
        meta["deletionTimestamp"] = nil
        meta["deletionGracePeriodSeconds"] = nil
        meta["resourceVersion"] = nil
        meta["selfLink"] = nil
        meta["managedFields"] = nil
        if c.type.tracksGeneration { meta["generation"] = 1 } else { meta["generation"] = nil }
        o["metadata"] = .object(meta)
        if c.hasStatus && c.type.isCustom { o["status"] = nil }
        prepareBuiltIn(&o, c, name: name)
        let (admitted, warnings) = try admit(o, c, name: name)
        o = admitted
        if get(key) != nil { throw APIError.alreadyExists(c.type, name) }
        guard !c.dryRun else {
            try Self.checkSize(o)
            return Reply.object(201, present(o, c), warnings: warnings)
        }
        let time = KubeTime.format(c.now)
        if let cfg = appliedConfig {
            if case .success(let merged) = ManagedFields.apply(
                current: nil, config: cfg, manager: manager, subresource: nil, force: true,
                apiVersion: c.apiVersion, time: time, schema: c.type.version(c.version)?.schema) {
                o["metadata"]?["managedFields"] = merged[path: "metadata", "managedFields"]
            }
        } else {
            let mf = ManagedFields.recordUpdate(
                old: nil, new: o, manager: manager, subresource: nil, apiVersion: c.apiVersion, time: time,
                schema: c.type.version(c.version)?.schema)
            o["metadata"]?["managedFields"] = mf
        }
        let stored = try putWrite(c.type, key, o, eventType: "ADDED", old: nil)
        afterCreate(c.type, stored.object, c)
        return reply(201, stored, c, warnings: warnings)
    }

    /// apiVersion/kind: filled when absent, 400 when they name another kind.
    func checkTypeMeta(_ o: inout JSONValue, _ c: RequestContext) throws {
        if let av = o["apiVersion"]?.stringValue, !av.isEmpty, av != c.apiVersion {
            throw APIError.badRequest("the API version in the data (\(av)) does not match the expected API version (\(c.apiVersion))")
        }
        if let k = o["kind"]?.stringValue, !k.isEmpty, k != c.type.kind {
            throw APIError.badRequest("the kind in the data (\(k)) does not match the expected kind (\(c.type.kind))")
        }
        o["apiVersion"] = .string(c.type.apiVersion(c.type.storageVersion.name))
        o["kind"] = .string(c.type.kind)
    }

    /// Defaults the real server's strategies add to built-in kinds.
    func prepareBuiltIn(_ o: inout JSONValue, _ c: RequestContext, name: String) {
        switch c.type.key {
        case "/namespaces":
            var labels = o[path: "metadata", "labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(name)
            o["metadata"]?["labels"] = .object(labels)
            o["spec"] = ["finalizers": ["kubernetes"]]
            o["status"] = ["phase": "Active"]
        case "/events":
            let defaults: [String: JSONValue] = ["eventTime": .null, "reportingComponent": "", "reportingInstance": ""]
            for (k, v) in defaults where o[k] == nil { o[k] = v }
        case "events.k8s.io/events":
            let defaults: [String: JSONValue] = ["deprecatedSource": .object([:]), "deprecatedFirstTimestamp": .null, "deprecatedLastTimestamp": .null]
            for (k, v) in defaults where o[k] == nil { o[k] = v }
        case "apiextensions.k8s.io/customresourcedefinitions":
            var spec = o["spec"] ?? .object([:])
            if spec["conversion"] == nil { spec["conversion"] = ["strategy": "None"] }
            o["spec"] = spec
            let storage = (spec["versions"]?.arrayValue ?? []).filter { $0["storage"]?.boolValue == true }.compactMap { $0["name"] }
            o["status"] = ["conditions": .null, "acceptedNames": ["plural": "", "kind": ""], "storedVersions": .array(storage)]
        default: break
        }
    }

    /// Side effects of creating certain kinds: a CRD registers its kind and becomes Established.
    mutating func afterCreate(_ t: ResourceType, _ o: JSONValue, _ c: RequestContext) {
        guard t.key == "apiextensions.k8s.io/customresourcedefinitions" else { return }
        establishCRD(o, now: c.now)
    }

    /// Registers (or re-registers) the kind a CRD object declares and writes its Established status.
    mutating func establishCRD(_ crd: JSONValue, now: Date) {
        guard case .success(let newType) = ResourceType.fromCRD(crd) else { return }
        types[newType.key] = newType
        guard let crdType = types["apiextensions.k8s.io/customresourcedefinitions"],
              let name = crd[path: "metadata", "name"]?.stringValue else { return }
        let key = ObjectKey(type: crdType.key, namespace: "", name: name)
        guard let current = get(key)?.object else { return }
        var o = current
        let time = KubeTime.format(now)
        let names = crd[path: "spec", "names"] ?? .object([:])
        var accepted = names
        if accepted["singular"] == nil { accepted["singular"] = .string(newType.singular) }
        if accepted["listKind"] == nil { accepted["listKind"] = .string(newType.listKind) }
        let existing = current[path: "status", "conditions"]?.arrayValue ?? []
        if existing.contains(where: { $0["type"] == "Established" && $0["status"] == "True" }),
           current[path: "status", "acceptedNames"] == accepted { return }
        var status = o["status"] ?? .object([:])
        status["conditions"] = [
            ["type": "NamesAccepted", "status": "True", "lastTransitionTime": .string(time), "reason": "NoConflicts", "message": "no conflicts found"],
            ["type": "Established", "status": "True", "lastTransitionTime": .string(time), "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"],
        ]
        status["acceptedNames"] = accepted
        o["status"] = status
        let mf = ManagedFields.recordUpdate(old: current, new: o, manager: "kube-apiserver", subresource: "status",
                                            apiVersion: crdType.apiVersion("v1"), time: time, schema: nil)
        o["metadata"]?["managedFields"] = mf
        o["metadata"]?["resourceVersion"] = .string(String(nextRV()))
        put(crdType, key, o, eventType: "MODIFIED", old: current)
    }

    /// An object as the request's version shows it.
    func present(_ o: JSONValue, _ c: RequestContext) -> JSONValue {
        let av = c.apiVersion
        if o["apiVersion"]?.stringValue == av { return o }
        var x = o
        x["apiVersion"] = .string(av)
        return x
    }

    // MARK: update (PUT)

    mutating func update(_ c: RequestContext) throws -> Reply {
        let body = try Self.decodeBody(c)
        guard case .object = body else { throw APIError.badRequest("the object provided is unrecognized (must be of type \(c.type.kind))") }
        let name = c.name ?? ""
        if let bodyName = body[path: "metadata", "name"]?.stringValue, bodyName != name {
            throw APIError.badRequest("the name of the object (\(bodyName)) does not match the name on the URL (\(name))")
        }
        guard let old = get(c.key)?.object else { throw APIError.notFound(c.type, name) }
        let oldRV = old[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        let bodyRV = body[path: "metadata", "resourceVersion"]?.stringValue ?? ""
        if bodyRV.isEmpty {
            if !c.type.allowUnconditionalUpdate {
                throw APIError.invalid(c.type, name, [.init(reason: "FieldValueInvalid", message: "Invalid value: 0: must be specified for an update", field: "metadata.resourceVersion")], kindIsPlural: true)
            }
        } else if bodyRV != oldRV {
            throw APIError.conflict(c.type, name)
        }
        var o = body
        try checkTypeMeta(&o, c)
        try Self.checkMicroTimes(o, c)
        return try commit(old: old, new: o, c, manager: c.updateManager)
    }

    /// The common tail of update/patch: subresource split, immutable metadata, admission, generation,
    /// managed fields, no-op detection, finalizer-driven deletion.
    mutating func commit(old: JSONValue, new proposed: JSONValue, _ c: RequestContext, manager: String,
                         managedFields: JSONValue?? = .none, status: Int = 200) throws -> Reply {
        let name = c.name ?? ""
        var o: JSONValue
        if c.subresource == "status" {
            o = old
            o["status"] = proposed["status"]
            // The status endpoint may still change labels and annotations? No: metadata comes from the stored object.
        } else {
            o = proposed
            if c.hasStatus { o["status"] = old["status"] }
        }
        // Immutable and system-owned metadata.
        var meta = o["metadata"]?.objectValue ?? [:]
        let oldMeta = old["metadata"]?.objectValue ?? [:]
        for k in ["name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "managedFields"] {
            meta[k] = oldMeta[k]
        }
        if c.subresource == "status" { meta = oldMeta }
        o["metadata"] = .object(meta)
        if oldMeta["deletionTimestamp"] != nil {
            let before = Set((oldMeta["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue))
            let added = (meta["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue).filter { !before.contains($0) }
            if !added.isEmpty {
                throw APIError.invalid(c.type, name, [.init(reason: "FieldValueForbidden", message: "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers \(added.map { q($0) })", field: "metadata.finalizers")])
            }
        }
        prepareUpdateBuiltIn(&o, old: old, c)
        let (admitted, warnings) = try admit(o, c, name: name, old: old)
        o = admitted
        // Generation: spec-like content (everything but metadata and, with a status subresource, status).
        if c.type.tracksGeneration {
            func content(_ x: JSONValue) -> JSONValue {
                guard case .object(var d) = x else { return x }
                d["metadata"] = nil
                d["apiVersion"] = nil
                d["kind"] = nil
                if c.hasStatus { d["status"] = nil }
                return .object(d)
            }
            if content(o) != content(old) {
                o["metadata"]?["generation"] = .int((oldMeta["generation"]?.intValue ?? 0) + 1)
            }
        }
        let time = KubeTime.format(c.now)
        let schema = c.type.version(c.version)?.schema
        switch managedFields {
        case .some(let mf): o["metadata"]?["managedFields"] = mf
        case .none:
            let mf = ManagedFields.recordUpdate(
                old: old, new: o, manager: manager, subresource: c.subresource, apiVersion: c.apiVersion, time: time, schema: schema)
            o["metadata"]?["managedFields"] = mf
        }
        // A write that changes nothing is not a write: same resourceVersion, no event.
        func comparable(_ x: JSONValue) -> JSONValue {
            var y = x
            y["metadata"]?["managedFields"] = nil
            return y
        }
        if comparable(o) == comparable(old) {
            return Reply.object(status, present(old, c), warnings: warnings)
        }
        if c.dryRun {
            try Self.checkSize(o)
            return Reply.object(status, present(o, c), warnings: warnings)
        }
        let oldRV = oldMeta["resourceVersion"] ?? .null
        // The last finalizer of a deleting object is gone: the update is the deletion.
        if oldMeta["deletionTimestamp"] != nil, (o[path: "metadata", "finalizers"]?.arrayValue ?? []).isEmpty {
            try Self.checkSize(o)
            o["metadata"]?["finalizers"] = nil
            var final = o
            final["metadata"]?["resourceVersion"] = .string(String(nextRV()))
            finalizeDeletion(c.type, c.key, final: final)
            var shown = o
            shown["metadata"]?["resourceVersion"] = oldRV
            return Reply.object(status, present(shown, c), warnings: warnings)
        }
        let stored = try putWrite(c.type, c.key, o, eventType: "MODIFIED", old: old)
        if c.type.key == "apiextensions.k8s.io/customresourcedefinitions" {
            establishCRD(stored.object, now: c.now)
            return Reply.object(status, present(get(c.key)?.object ?? stored.object, c), warnings: warnings)
        }
        return reply(status, stored, c, warnings: warnings)
    }

    /// The answer to a write: the bytes stored (and sent to watchers) when asked in the stored apiVersion.
    func reply(_ status: Int, _ stored: StoredObject, _ c: RequestContext, warnings: [String]) -> Reply {
        guard stored.object["apiVersion"]?.stringValue == c.apiVersion else {
            return Reply.object(status, present(stored.object, c), warnings: warnings)
        }
        return Reply.serialized(status, stored.bytes, warnings: warnings)
    }

    func prepareUpdateBuiltIn(_ o: inout JSONValue, old: JSONValue, _ c: RequestContext) {
        switch c.type.key {
        case "/namespaces":
            var labels = o[path: "metadata", "labels"]?.objectValue ?? [:]
            labels["kubernetes.io/metadata.name"] = .string(c.name ?? "")
            o["metadata"]?["labels"] = .object(labels)
            if c.subresource != "status" { o["status"] = old["status"] }
            if o["spec"] == nil { o["spec"] = old["spec"] }
        default: break
        }
    }

    // MARK: patch

    mutating func patch(_ c: RequestContext) throws -> Reply {
        let name = c.name ?? ""
        let ct = c.contentType
        let accepted = "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
        let unsupported = APIError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: \(accepted)\(c.type.isCustom ? "" : ", application/strategic-merge-patch+json")")
        switch ct {
        case "application/apply-patch+yaml", "application/apply-patch+cbor":
            return try apply(c)
        case "application/merge-patch+json", "application/json-patch+json": break
        case "application/strategic-merge-patch+json": if c.type.isCustom { throw unsupported }
        default: throw unsupported
        }
        guard let old = get(c.key)?.object else { throw APIError.notFound(c.type, name) }
        var patched: JSONValue
        if ct == "application/json-patch+json" {
            let doc: JSONValue
            do { doc = try JSONValue.parseFast(c.body) } catch {
                throw APIError.badRequest("error decoding patch: \(error.description)")
            }
            do {
                patched = try JSONPatch(doc).apply(to: old)
            } catch {
                throw APIError(422, "Invalid", "the server rejected our request due to an error in our request", details: .init())
            }
        } else {
            let doc: JSONValue
            do { doc = try JSONValue.parseFast(c.body) } catch {
                throw APIError.badRequest("error decoding patch: \(error.description)")
            }
            guard case .object = doc else { throw APIError.badRequest("error decoding patch: a merge patch must be a JSON object") }
            patched = old.applyingMergePatch(doc)
        }
        // A resourceVersion in the patch is a precondition.
        if let rv = patched[path: "metadata", "resourceVersion"]?.stringValue,
           rv != old[path: "metadata", "resourceVersion"]?.stringValue {
            throw APIError.conflict(c.type, name)
        }
        try checkTypeMeta(&patched, c)
        try Self.checkMicroTimes(patched, c)
        return try commit(old: old, new: patched, c, manager: c.updateManager)
    }

    /// Server-side apply (`application/apply-patch+yaml`).
    /// The first list-type map/set with a repeated entry in an apply configuration, as structured-merge-diff
    /// words it (`.spec.resources: duplicate entries for key [name="a"]`).
    static func duplicateListEntry(_ v: JSONValue, schema: JSONValue?, path: String) -> String? {
        switch v {
        case .object(let o):
            for k in o.keys.sorted() {
                let child = schema?[path: "properties", k] ?? (schema?["additionalProperties"].flatMap { $0.objectValue != nil ? $0 : nil })
                if let d = duplicateListEntry(o[k]!, schema: child, path: "\(path).\(k)") { return d }
            }
        case .array(let a):
            switch schema?["x-kubernetes-list-type"]?.stringValue {
            case "map":
                let keys = schema?["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
                var seen: Set<[JSONValue]> = []
                for item in a where !seen.insert(keys.map { item[$0] ?? .null }).inserted {
                    let shown = keys.map { "\($0)=\((item[$0] ?? .null).compactString())" }.joined(separator: ",")
                    return "\(path): duplicate entries for key [\(shown)]"
                }
            case "set":
                var seen: Set<JSONValue> = []
                for item in a where !seen.insert(item).inserted {
                    return "\(path): duplicate entries for value \(item.compactString())"
                }
            default: break
            }
            for item in a {
                if let d = duplicateListEntry(item, schema: schema?["items"], path: path) { return d }
            }
        default: break
        }
        return nil
    }

    mutating func apply(_ c: RequestContext) throws -> Reply {
        let name = c.name ?? ""
        guard let manager = c.query["fieldManager"], !manager.isEmpty else {
            throw APIError(422, "Invalid", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                           details: .init(group: "meta.k8s.io", kind: "PatchOptions", causes: [.init(reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager")]))
        }
        var config: JSONValue
        do { config = try YAMLJSON.parse(c.body) } catch {
            throw APIError.badRequest("error decoding YAML: \(error)")
        }
        guard case .object = config else { throw APIError.badRequest("error decoding YAML: the apply configuration must be an object") }
        if config["apiVersion"] == nil || config["kind"] == nil {
            throw APIError.badRequest("invalid object type: \(c.type.apiVersion(c.version)), Kind=")
        }
        if let n = config[path: "metadata", "name"]?.stringValue, n != name {
            throw APIError.badRequest("the name of the object (\(n)) does not match the name on the URL (\(name))")
        }
        let force = c.query["force"] == "true"
        let schema = c.type.version(c.version)?.schema
        if let dup = Self.duplicateListEntry(config, schema: schema, path: "") {
            // structured-merge-diff cannot even type the configuration: a 500 without a reason.
            let ns = config[path: "metadata", "namespace"]?.stringValue ?? ""
            throw APIError(status: StatusResponse(
                message: "failed to create typed patch object (\(ns)/\(name); \(c.type.apiVersion(c.version)), Kind=\(c.type.kind)): \(dup)",
                reason: nil, code: 500))
        }
        let time = KubeTime.format(c.now)
        guard let old = get(c.key)?.object else {
            guard c.subresource == nil else { throw APIError.notFound(c.type, name) }
            var body = config
            if body["metadata"] == nil { body["metadata"] = ["name": .string(name)] }
            body["metadata"]?["name"] = .string(name)
            return try createObject(body, c, manager: manager, operation: "Apply", appliedConfig: config)
        }
        if let rv = config[path: "metadata", "resourceVersion"]?.stringValue,
           rv != old[path: "metadata", "resourceVersion"]?.stringValue {
            throw APIError.conflict(c.type, name)
        }
        switch ManagedFields.apply(current: old, config: config, manager: manager, subresource: c.subresource, force: force,
                                   apiVersion: c.apiVersion, time: time, schema: schema) {
        case .failure(let failure):
            let conflicts = failure.list
            let byManager = Dictionary(grouping: conflicts, by: { (x: ApplyConflict) in x.manager })
            let message: String
            func who(_ x: ApplyConflict) -> String { x.operation == "Update" ? "\(q(x.manager)) using \(x.apiVersion)" : q(x.manager) }
            if conflicts.count == 1 {
                message = "Apply failed with 1 conflict: conflict with \(who(conflicts[0])): \(conflicts[0].field)"
            } else {
                let parts = byManager.keys.sorted().map { m -> String in
                    let cs = byManager[m]!
                    return "conflicts with \(who(cs[0])):\n" + cs.map { "- \($0.field)" }.joined(separator: "\n")
                }
                message = "Apply failed with \(conflicts.count) conflicts: " + parts.joined(separator: "\n")
            }
            let causes = conflicts.map { x in
                StatusResponse.Cause(reason: "FieldManagerConflict", message: "conflict with \(who(x))", field: x.field)
            }
            throw APIError(409, "Conflict", message, details: StatusResponse.Details(causes: causes))
        case .success(var merged):
            let mf = merged[path: "metadata", "managedFields"]
            try checkTypeMeta(&merged, c)
            try Self.checkMicroTimes(merged, c)
            return try commit(old: old, new: merged, c, manager: manager, managedFields: .some(mf))
        }
    }
}
