import Foundation
import KubeCore

/// Checks and defaulting every write goes through (create, update, patch, apply), in the real server's order:
/// decoding (MicroTime), metadata, kind-specific validation, schema (pruning, defaults, validation), size.
extension Cluster {
    static let maxObjectBytes = 1_572_864  // etcd's default request limit (1.5 MiB)
    static let maxConfigMapDataBytes = 1_048_576

    /// Parses a JSON request body like the API server's decoder (400 with the decoder's words).
    static func decodeBody(_ c: RequestContext) throws -> JSONValue {
        do {
            return try JSONValue.parseFast(c.body)
        } catch {
            let snippet = String(decoding: c.body.prefix(64), as: UTF8.self)
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type \(c.type.kind)): couldn't get version/kind; json parse error: \(error.description) (\(snippet))")
        }
    }

    /// MicroTime fields must carry a fraction (Go parses them with layout "2006-01-02T15:04:05.000000Z07:00").
    static func checkMicroTimes(_ o: JSONValue, _ c: RequestContext) throws {
        for path in c.type.microTimeFields {
            var v: JSONValue? = o
            for p in path { v = v?[p] }
            guard let v, !v.isNull else { continue }
            guard let s = v.stringValue else {
                throw APIError.badRequest("\(c.type.kind) in version \(q(c.version)) cannot be handled as a \(c.type.kind): json: cannot unmarshal \(v.compactString()) into Go struct field of type string")
            }
            let layout = "\"2006-01-02T15:04:05.000000Z07:00\""
            if KubeTime.parse(s) == nil {
                throw APIError.badRequest("\(c.type.kind) in version \(q(c.version)) cannot be handled as a \(c.type.kind): parsing time \(q(s)) as \(layout): cannot parse \(q(s)) as \"2006\"")
            }
            let u = Array(s.utf8)
            if u.count < 20 || u[19] != 46 {
                let rest = u.count > 19 ? String(decoding: u[19...], as: UTF8.self) : ""
                throw APIError.badRequest("\(c.type.kind) in version \(q(c.version)) cannot be handled as a \(c.type.kind): parsing time \(q(s)) as \(layout): cannot parse \(q(rest)) as \".000000\"")
            }
        }
    }

    /// DNS-1123 subdomain (most kinds) or label (namespaces).
    static func nameProblem(_ name: String, label: Bool) -> String? {
        let u = Array(name.utf8)
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (97...122).contains(c) }
        if label {
            let ok = !u.isEmpty && u.count <= 63 && alnum(u.first!) && alnum(u.last!) && u.allSatisfy { alnum($0) || $0 == 45 }
            if ok { return nil }
            if u.count > 63 { return "must be no more than 63 characters" }
            return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
        }
        var ok = !u.isEmpty && u.count <= 253
        if ok {
            for part in name.split(separator: ".", omittingEmptySubsequences: false) {
                let p = Array(part.utf8)
                if p.isEmpty || !alnum(p.first!) || !alnum(p.last!) || !p.allSatisfy({ alnum($0) || $0 == 45 }) { ok = false; break }
            }
        }
        if ok { return nil }
        if u.count > 253 { return "must be no more than 253 characters" }
        return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    }

    /// Kind-specific validation of built-in kinds (what the operator relies on).
    static func validateBuiltIn(_ o: JSONValue, _ c: RequestContext) -> [StatusResponse.Cause] {
        var causes: [StatusResponse.Cause] = []
        switch (c.type.group, c.type.kind) {
        case ("events.k8s.io", "Event"):
            if o["eventTime"] == nil || o["eventTime"]!.isNull {
                causes.append(.init(reason: "FieldValueRequired", message: "Required value", field: "eventTime"))
            }
        case ("", "ConfigMap"), ("", "Secret"):
            var total = 0
            for f in ["data", "binaryData", "stringData"] {
                for (k, v) in o[f]?.objectValue ?? [:] { total += k.utf8.count + (v.stringValue?.utf8.count ?? 0) }
            }
            if total > maxConfigMapDataBytes {
                causes.append(.init(reason: "FieldValueTooLong", message: "Too long: may not be more than \(maxConfigMapDataBytes) bytes", field: "[]"))
            }
        default: break
        }
        return causes
    }

    /// Runs admission on an object about to be stored; returns it (defaulted, pruned) and the warnings.
    static let blockingReasons: Set<String> = ["FieldValueRequired", "FieldValueNotSupported", "FieldValueTooLong", "FieldValueTooMany", "FieldValueTypeInvalid"]

    /// `old` is the stored object on updates (CEL transition rules compare against it).
    func admit(_ object: JSONValue, _ c: RequestContext, name: String, old: JSONValue? = nil) throws -> (JSONValue, [String]) {
        // The RBAC storage checks escalation before anything else looks at the object.
        if let requester = c.requester, c.type.group == Self.rbacGroup { try checkEscalation(object, c, requester) }
        var o = object
        let meta = Self.validateObjectMeta(o, c, isCreate: old == nil)
        var warnings = meta.warnings
        var causes = meta.causes + Self.validateBuiltIn(o, c)
        if c.type.isCustom, let v = c.type.version(c.version) {
            let s = SchemaAdmission(object: o, schema: v.schema)
            if !s.pruned.isEmpty {
                if c.strictFields {
                    let list = s.pruned.map { "unknown field \(q($0))" }.joined(separator: ", ")
                    throw APIError.badRequest("\(c.type.kind) in version \(q(c.version)) cannot be handled as a \(c.type.kind): strict decoding error: \(list)")
                }
                if c.query["fieldValidation"] != "Ignore" {
                    warnings += s.pruned.map { "unknown field \(q($0))" }
                }
            }
            o = s.object
            causes += s.causes
            if v.hasCEL {
                // Schema errors that leave the object's shape in doubt stop CEL; bounds and patterns do not.
                if causes.contains(where: { Self.blockingReasons.contains($0.reason ?? "") }) {
                    causes.append(.init(reason: "FieldValueInvalid",
                                        message: "Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
                                        field: "<nil>"))
                } else if let rules = v.celRules, let schema = v.schema {
                    causes += rules.validate(o, old: old, schema: schema)
                }
            }
        }
        if c.type.key == "apiextensions.k8s.io/customresourcedefinitions" {
            if case .failure(let p) = ResourceType.fromCRD(o) { causes += p.causes }
        }
        if !causes.isEmpty { throw APIError.invalid(c.type, name, causes) }
        if c.type.group.isEmpty && c.type.kind == "Secret" { o = Self.foldStringData(o) }
        return (o, warnings)
    }

    /// A Secret's write-only `stringData` is merged into `data` (base64), its values winning, and never
    /// stored or returned, as the real API server does.
    static func foldStringData(_ secret: JSONValue) -> JSONValue {
        guard case .object(var fields) = secret, let strings = fields["stringData"]?.objectValue else { return secret }
        var data = fields["data"]?.objectValue ?? [:]
        for (key, value) in strings {
            data[key] = .string(Data((value.stringValue ?? "").utf8).base64EncodedString())
        }
        fields["data"] = .object(data)
        fields["stringData"] = nil
        return .object(fields)
    }

    /// The whole object must fit etcd's request limit.
    static func checkSize(_ o: JSONValue) throws {
        var b: [UInt8] = []
        o.write(into: &b)
        try checkSize(b)
    }

    static func checkSize(_ serialized: [UInt8]) throws {
        if serialized.count > maxObjectBytes {
            throw APIError(413, "RequestEntityTooLarge", "etcdserver: request is too large")
        }
    }
}
