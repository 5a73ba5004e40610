import Foundation
import KubeCore

/// A patch body and its content type.
public struct Patch: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        /// RFC 7386 JSON merge patch: a `null` deletes the field.
        case merge = "application/merge-patch+json"
        /// RFC 6902 JSON patch: a list of operations.
        case json = "application/json-patch+json"
        /// Kubernetes strategic merge patch (built-in kinds only).
        case strategic = "application/strategic-merge-patch+json"
        /// Server-side apply: the fields the manager owns.
        case apply = "application/apply-patch+yaml"
    }

    public var kind: Kind
    public var body: Data

    public init(kind: Kind, body: Data) {
        self.kind = kind
        self.body = body
    }

    /// A merge patch from untyped JSON (use `.null` to delete a field).
    public static func merge(_ value: JSONValue) -> Patch { Patch(kind: .merge, body: value.serialized()) }

    /// A merge patch from a typed value: absent optionals are omitted, so they are left unchanged.
    public static func merge<Body: Encodable>(encoding value: Body) throws -> Patch {
        Patch(kind: .merge, body: try KubeJSON.encoder().encode(value))
    }

    /// A merge patch of /status that makes `status` the whole status, guarded by `resourceVersion`:
    /// `{"metadata":{"resourceVersion":...},"status":{...}}`, absent status fields as `null`. The API server
    /// treats a resourceVersion in a patch as a precondition, as in a PUT: 409 Conflict when the object
    /// changed since it was read.
    public static func wholeStatus(_ status: (some WholeStatusPatchable)?, resourceVersion: String) -> Patch {
        var json = JSONWriter()
        json.beginObject()
        json.key("metadata")
        json.beginObject()
        json.key("resourceVersion")
        json.value(resourceVersion)
        json.endObject()
        json.key("status")
        if let status { json.writeWhole(status, absentFieldsAsNull: true) } else { json.null() }
        json.endObject()
        return Patch(kind: .merge, body: Data(json.bytes))
    }

    public static func json(_ operations: [JSONPatchOperation]) -> Patch {
        Patch(kind: .json, body: (try? KubeJSON.encoder().encode(operations)) ?? Data("[]".utf8))
    }

    public static func strategic(_ value: JSONValue) -> Patch { Patch(kind: .strategic, body: value.serialized()) }

    /// Server-side apply of untyped JSON (must carry apiVersion and kind).
    public static func apply(_ value: JSONValue) -> Patch { Patch(kind: .apply, body: value.serialized()) }

    /// Server-side apply of a typed object (JSON is YAML, so it is sent as JSON). The object should set
    /// only the fields this manager owns.
    public static func apply<Body: Encodable>(encoding value: Body) throws -> Patch {
        Patch(kind: .apply, body: try KubeJSON.encoder().encode(value))
    }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Codable, Sendable, Hashable {
    public var op: String
    /// JSON pointer, e.g. "/metadata/labels/team" ("~1" for "/", "~0" for "~").
    public var path: String
    public var value: JSONValue?
    public var from: String?

    public init(op: String, path: String, value: JSONValue? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    public static func add(_ path: String, _ value: JSONValue) -> Self { .init(op: "add", path: path, value: value) }
    public static func replace(_ path: String, _ value: JSONValue) -> Self { .init(op: "replace", path: path, value: value) }
    public static func remove(_ path: String) -> Self { .init(op: "remove", path: path) }
    public static func test(_ path: String, _ value: JSONValue) -> Self { .init(op: "test", path: path, value: value) }
    public static func move(from: String, to path: String) -> Self { .init(op: "move", path: path, from: from) }
    public static func copy(from: String, to path: String) -> Self { .init(op: "copy", path: path, from: from) }

    /// Escapes one path segment as a JSON pointer token.
    public static func escape(_ segment: String) -> String {
        segment.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
