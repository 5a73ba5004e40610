import Foundation
import KubeCore

/// What a resource request is about, after routing and authentication.
struct RequestContext: Sendable {
    var type: ResourceType
    var version: String
    var namespace: String?
    var name: String?
    var subresource: String?
    var query: [String: String]
    var headers: [String: String]
    var body: Data
    var user: String
    var now: Date
    /// Who writes, when the server enforces RBAC (writes to RBAC objects are checked for escalation); nil
    /// otherwise and for objects installed without HTTP.
    var requester: UserInfo? = nil

    var apiVersion: String { type.apiVersion(version) }
    var hasStatus: Bool { type.hasStatus(version) }
    var contentType: String {
        (headers["content-type"] ?? "application/json").split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        } ?? "application/json"
    }

    /// The field manager of a non-apply write: `fieldManager`, else the User-Agent up to its first "/".
    var updateManager: String {
        if let m = query["fieldManager"], !m.isEmpty { return m }
        if let ua = headers["user-agent"], !ua.isEmpty {
            return String(ua.split(separator: "/", maxSplits: 1).first ?? Substring(ua))
        }
        return "unknown"
    }

    var key: ObjectKey { ObjectKey(type: type.key, namespace: namespace ?? "", name: name ?? "") }

    func key(name: String) -> ObjectKey { ObjectKey(type: type.key, namespace: namespace ?? "", name: name) }

    var strictFields: Bool { query["fieldValidation"] == "Strict" }
    var dryRun: Bool { query["dryRun"] == "All" }
}

/// A successful answer from a verb handler.
struct Reply: Sendable {
    var status: Int
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func object(_ status: Int, _ o: JSONValue, warnings: [String] = []) -> Reply {
        var b: [UInt8] = []
        o.write(into: &b)
        return serialized(status, b, warnings: warnings)
    }

    static func serialized(_ status: Int, _ body: [UInt8], warnings: [String] = []) -> Reply {
        Reply(status: status, body: body, headers: warnings.map { ("Warning", "299 - \(q($0))") })
    }
}
