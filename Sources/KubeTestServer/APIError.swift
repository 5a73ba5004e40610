import Foundation
import KubeCore

/// A failed API call: the HTTP status and the metav1.Status body the real server sends for it.
struct APIError: Error, Sendable {
    var status: StatusResponse
    var headers: [(String, String)] = []
    /// `metadata.continue` of the Status (an expired list's inconsistent continuation).
    var continueToken: String?

    var code: Int { status.code ?? 500 }

    init(status: StatusResponse) { self.status = status }

    init(_ code: Int, _ reason: String, _ message: String, details: StatusResponse.Details? = nil) {
        status = StatusResponse(message: message, reason: reason, code: code, details: details)
    }

    func body() -> [UInt8] { Self.encode(status, continueToken: continueToken) }

    static func encode(_ s: StatusResponse, continueToken: String? = nil) -> [UInt8] {
        var o: [String: JSONValue] = ["kind": "Status", "apiVersion": "v1", "metadata": .object([:])]
        if let continueToken { o["metadata"] = ["continue": .string(continueToken)] }
        if let v = s.status { o["status"] = .string(v) }
        if let v = s.message { o["message"] = .string(v) }
        if let v = s.reason { o["reason"] = .string(v) }
        if let v = s.code { o["code"] = .int(Int64(v)) }
        if let d = s.details {
            var dd: [String: JSONValue] = [:]
            if let v = d.name { dd["name"] = .string(v) }
            if let v = d.group, !v.isEmpty { dd["group"] = .string(v) }
            if let v = d.kind { dd["kind"] = .string(v) }
            if let v = d.uid { dd["uid"] = .string(v) }
            if let v = d.retryAfterSeconds { dd["retryAfterSeconds"] = .int(Int64(v)) }
            if let c = d.causes {
                dd["causes"] = .array(c.map { c in
                    var co: [String: JSONValue] = [:]
                    if let v = c.reason { co["reason"] = .string(v) }
                    if let v = c.message { co["message"] = .string(v) }
                    if let v = c.field { co["field"] = .string(v) }
                    return .object(co)
                })
            }
            o["details"] = .object(dd)
        }
        var out: [UInt8] = []
        JSONValue.object(o).write(into: &out)
        return out
    }

    // MARK: the real server's messages

    static func notFound(_ t: ResourceType, _ name: String) -> APIError {
        APIError(404, "NotFound", "\(t.qualifiedResource) \(q(name)) not found",
                 details: .init(name: name, group: t.group, kind: t.plural))
    }

    static func namespaceNotFound(_ ns: String) -> APIError {
        APIError(404, "NotFound", "namespaces \(q(ns)) not found", details: .init(name: ns, kind: "namespaces"))
    }

    static func alreadyExists(_ t: ResourceType, _ name: String) -> APIError {
        APIError(409, "AlreadyExists", "\(t.qualifiedResource) \(q(name)) already exists",
                 details: .init(name: name, group: t.group, kind: t.plural))
    }

    static func conflict(_ t: ResourceType, _ name: String) -> APIError {
        APIError(409, "Conflict",
                 "Operation cannot be fulfilled on \(t.qualifiedResource) \(q(name)): the object has been modified; please apply your changes to the latest version and try again",
                 details: .init(name: name, group: t.group, kind: t.plural))
    }

    /// 422 from validation: `Kind.group "name" is invalid: field: message, ...`.
    static func invalid(_ t: ResourceType, _ name: String, _ causes: [StatusResponse.Cause], kindIsPlural: Bool = false) -> APIError {
        // Built-in kinds name the bare kind (`Event "b.1" is invalid`); custom ones and CRDs (served by the
        // apiextensions server) `Kind.group`.
        let qualified = t.isCustom || t.group == "apiextensions.k8s.io"
        let what = kindIsPlural ? t.qualifiedResource : (qualified ? t.qualifiedKind : t.kind)
        let parts = causes.map { "\($0.field ?? "<nil>"): \($0.message ?? "")" }
        let list = parts.count == 1 ? parts[0] : "[\(parts.joined(separator: ", "))]"
        let group = (qualified || kindIsPlural) ? t.group : nil
        return APIError(422, "Invalid", "\(what) \(q(name)) is invalid: \(list)",
                         details: .init(name: name.isEmpty ? nil : name, group: group, kind: kindIsPlural ? t.plural : t.kind, causes: causes))
    }

    static func badRequest(_ message: String) -> APIError { APIError(400, "BadRequest", message) }

    static let resourceNotFound = APIError(404, "NotFound", "the server could not find the requested resource", details: .init())

    static func methodNotAllowed(_ method: String) -> APIError {
        APIError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", details: .init())
    }
}
