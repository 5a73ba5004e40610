import Foundation
import KubeCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Typed access to one kind: `Api<ConfigMap>(client: c, namespace: "team-a")`.
public typealias Api<T: KubernetesObject> = ResourceApi<T>

/// Untyped access to any kind by its descriptor, objects as JSON.
public typealias DynamicApi = ResourceApi<JSONValue>

/// Requests for one kind in one scope (a namespace, all namespaces, or cluster-scoped).
/// `Object` is a typed `KubernetesObject` (`Api<T>`) or `JSONValue` (`DynamicApi`).
public struct ResourceApi<Object: Codable & Sendable>: Sendable {
    public let client: KubeClient
    public let resource: ResourceDescriptor
    /// nil: all namespaces (list/watch only) or a cluster-scoped kind.
    public let namespace: String?
    let accessors: ObjectAccessors<Object>

    init(client: KubeClient, resource: ResourceDescriptor, namespace: String?, accessors: ObjectAccessors<Object>) {
        self.client = client
        self.resource = resource
        self.namespace = resource.namespaced ? namespace : nil
        self.accessors = accessors
    }

    // MARK: URLs

    func path(name: String? = nil, subresource: String? = nil) -> String {
        var p = resource.group.isEmpty ? "/api/\(resource.version)" : "/apis/\(resource.group)/\(resource.version)"
        if let namespace { p += "/namespaces/\(Self.segment(namespace))" }
        p += "/\(resource.plural)"
        if let name { p += "/\(Self.segment(name))" }
        if let subresource { p += "/\(subresource)" }
        return p
    }

    static func segment(_ s: String) -> String { KubeClient.percentEncode(s) }

    private func requireName(_ name: String, _ verb: String) throws {
        guard !name.isEmpty else { throw KubeClientError.invalidRequest("\(verb) \(resource): the object has no name") }
        if resource.namespaced && namespace == nil {
            throw KubeClientError.invalidRequest("\(verb) \(resource) \"\(name)\": a namespaced kind needs a namespace (this Api lists all namespaces)")
        }
    }

    // MARK: Decoding

    func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do { return try KubeJSONDecoder().decode(T.self, from: Array(body.readableBytesView)) } catch {
            throw KubeClientError.decoding(type: "\(T.self)", message: "\(error)")
        }
    }

    func encode<T: Encodable>(_ value: T) throws -> ByteBuffer {
        // A kind that writes its own JSON (`JSONWritable`, the same JSON) skips Foundation's JSONEncoder.
        if let writable = value as? any JSONWritable {
            var json = JSONWriter(capacity: 2048)
            json.writeWhole(writable, absentFieldsAsNull: false)
            return ByteBuffer(bytes: json.bytes)
        }
        do { return ByteBuffer(data: try KubeJSON.encoder().encode(value)) } catch {
            throw KubeClientError.invalidRequest("cannot encode \(T.self): \(error)")
        }
    }

    // MARK: Reads

    public func get(_ name: String) async throws -> Object {
        try requireName(name, "get")
        let r = try await client.send(.init(method: .GET, path: path(name: name), verb: "get", idempotent: true))
        return try decode(Object.self, r.body)
    }

    /// Like `get`, but nil when the object does not exist.
    public func getOptional(_ name: String) async throws -> Object? {
        do { return try await get(name) } catch let error as KubeClientError where error.isNotFound { return nil }
    }

    /// One page of a list.
    public func list(_ params: ListParams = ListParams()) async throws -> ObjectList<Object> {
        let r = try await client.send(.init(method: .GET, path: path(), query: params.query, verb: "list", idempotent: true))
        return try decode(ObjectList<Object>.self, r.body)
    }

    /// Every page of a list, following `continue` tokens (pages of `params.limit`, default 500). The
    /// answer's metadata is the last page's, so `resourceVersion` is where a watch should start.
    public func listAll(_ params: ListParams = ListParams()) async throws -> ObjectList<Object> {
        var p = params
        if p.limit == nil { p.limit = 500 }
        var items: [Object] = []
        var page = try await list(p)
        while true {
            items.append(contentsOf: page.items)
            guard let token = page.metadata.continue, !token.isEmpty else { break }
            p.continueToken = token
            // A continue token pins the snapshot; resourceVersion must not be sent with it.
            p.resourceVersion = nil
            p.resourceVersionMatch = nil
            page = try await list(p)
        }
        page.items = items
        page.metadata.continue = nil
        return page
    }

    // MARK: Writes

    public func create(_ object: Object, _ params: PostParams = PostParams()) async throws -> Object {
        let obj = accessors.prepareForWrite(object)
        if resource.namespaced && namespace == nil {
            throw KubeClientError.invalidRequest("create \(resource): a namespaced kind needs a namespace (this Api lists all namespaces)")
        }
        let r = try await client.send(.init(method: .POST, path: path(), query: params.query, body: try encode(obj), verb: "create", idempotent: false))
        return try decode(Object.self, r.body)
    }

    /// Update (PUT). With `metadata.resourceVersion` set, a concurrent change answers 409 Conflict.
    public func replace(_ object: Object, _ params: PostParams = PostParams()) async throws -> Object {
        let obj = accessors.prepareForWrite(object)
        let name = accessors.name(obj) ?? ""
        try requireName(name, "replace")
        let r = try await client.send(.init(
            method: .PUT, path: path(name: name), query: params.query, body: try encode(obj), verb: "update",
            idempotent: accessors.resourceVersion(obj) != nil))
        return try decode(Object.self, r.body)
    }

    public func delete(_ name: String, _ params: DeleteParams = DeleteParams()) async throws -> DeleteOutcome<Object> {
        try requireName(name, "delete")
        let r = try await client.send(.init(method: .DELETE, path: path(name: name), body: try encode(params), verb: "delete", idempotent: true))
        return try deleteOutcome(r.body)
    }

    func deleteOutcome(_ body: ByteBuffer) throws -> DeleteOutcome<Object> {
        // The answer is the object (deletion pending) or a Status (gone already).
        let head = try decode(TypeMetaPeek.self, body)
        if head.kind == "Status" { return .deleted(try decode(StatusResponse.self, body)) }
        return .pending(try decode(Object.self, body))
    }

    public func patch(_ name: String, _ patch: Patch, _ params: PatchParams = PatchParams()) async throws -> Object {
        try requireName(name, "patch")
        return try await sendPatch(path(name: name), patch, params)
    }

    /// - Parameter idempotent: safe to repeat after a lost answer (default: only server-side apply).
    func sendPatch(_ path: String, _ patch: Patch, _ params: PatchParams, idempotent: Bool? = nil) async throws -> Object {
        if patch.kind == .apply && (params.fieldManager ?? "").isEmpty {
            throw KubeClientError.invalidRequest("server-side apply needs a fieldManager (PatchParams.apply(\"name\"))")
        }
        if patch.kind != .apply && params.force {
            throw KubeClientError.invalidRequest("force is only valid with server-side apply")
        }
        let r = try await client.send(.init(
            method: .PATCH, path: path, query: params.query, body: ByteBuffer(data: patch.body),
            contentType: patch.kind.rawValue, verb: "patch", idempotent: idempotent ?? (patch.kind == .apply)))
        return try decode(Object.self, r.body)
    }

    // MARK: Status subresource

    public func getStatus(_ name: String) async throws -> Object {
        try requireName(name, "get status of")
        let r = try await client.send(.init(method: .GET, path: path(name: name, subresource: "status"), verb: "get", idempotent: true))
        return try decode(Object.self, r.body)
    }

    /// PUT to /status: only `status` changes; `metadata.resourceVersion` guards against lost updates.
    public func replaceStatus(_ object: Object, _ params: PostParams = PostParams()) async throws -> Object {
        let obj = accessors.prepareForWrite(object)
        let name = accessors.name(obj) ?? ""
        try requireName(name, "replace status of")
        let r = try await client.send(.init(
            method: .PUT, path: path(name: name, subresource: "status"), query: params.query, body: try encode(obj),
            verb: "update", idempotent: accessors.resourceVersion(obj) != nil))
        return try decode(Object.self, r.body)
    }

    public func patchStatus(_ name: String, _ patch: Patch, _ params: PatchParams = PatchParams()) async throws -> Object {
        try requireName(name, "patch status of")
        return try await sendPatch(path(name: name, subresource: "status"), patch, params)
    }

    /// Makes `object.status` the object's whole status, sending only the status (`Patch.wholeStatus`):
    /// what `replaceStatus` does, without encoding and sending the spec and metadata. 409 Conflict when the
    /// object changed since `object` was read; the object must therefore carry its resourceVersion.
    public func patchStatus(of object: Object) async throws -> Object where Object: HasStatus, Object.Status: WholeStatusPatchable {
        let name = object.metadata.name ?? ""
        try requireName(name, "patch status of")
        guard let resourceVersion = object.metadata.resourceVersion, !resourceVersion.isEmpty else {
            throw KubeClientError.invalidRequest(
                "patch status of \(resource) \"\(name)\": the object has no resourceVersion (write the status of an object read from the server)")
        }
        // Guarded by the resourceVersion, a repeat after a lost answer cannot undo a newer write: safe to retry.
        return try await sendPatch(
            path(name: name, subresource: "status"), .wholeStatus(object.status, resourceVersion: resourceVersion), PatchParams(),
            idempotent: true)
    }

    // MARK: Watch

    /// One watch request from `resourceVersion`: a stream of events until the server ends it
    /// (`timeoutSeconds`) or the connection drops. Use `Watcher` for a watch that lasts.
    public func watch(_ params: WatchParams = WatchParams(), resourceVersion: String?) async throws -> WatchEventStream<Object> {
        let response = try await client.stream(
            .init(method: .GET, path: path(), query: params.query(resourceVersion: resourceVersion), verb: "watch", idempotent: true),
            deadline: .seconds(params.timeoutSeconds + 60))
        return WatchEventStream(body: response.body)
    }

    // MARK: Object accessors

    /// The name of an object of this Api.
    public func name(of object: Object) -> String? { accessors.name(object) }
    /// The resourceVersion of an object of this Api.
    public func resourceVersion(of object: Object) -> String? { accessors.resourceVersion(object) }
}

/// How to read a name and resourceVersion from `Object`, typed or JSON.
struct ObjectAccessors<Object: Sendable>: Sendable {
    var name: @Sendable (Object) -> String?
    var resourceVersion: @Sendable (Object) -> String?
    var prepareForWrite: @Sendable (Object) -> Object
}

/// Reads only kind/apiVersion, to tell a Status from an object.
struct TypeMetaPeek: Decodable {
    var kind: String?
    var apiVersion: String?
}

extension ResourceApi where Object: KubernetesObject {
    /// Objects in `namespace` (required for namespaced kinds' writes); ignored for cluster-scoped kinds.
    public init(client: KubeClient, namespace: String) {
        self.init(client: client, resource: Object.resource, namespace: namespace, accessors: .typed)
    }

    /// All namespaces (list and watch), or a cluster-scoped kind.
    public static func all(_ client: KubeClient) -> Self {
        Self(client: client, resource: Object.resource, namespace: nil, accessors: .typed)
    }

    /// The client's default namespace.
    public static func defaultNamespace(_ client: KubeClient) -> Self {
        Self(client: client, namespace: client.defaultNamespace)
    }
}

extension ObjectAccessors where Object: KubernetesObject {
    static var typed: Self {
        Self(
            name: { $0.metadata.name },
            resourceVersion: { $0.metadata.resourceVersion },
            prepareForWrite: { object in
                var o = object
                if o.apiVersion == nil || o.kind == nil { o.fillTypeMeta() }
                return o
            })
    }
}

extension ResourceApi where Object == JSONValue {
    /// Untyped access to `resource` in `namespace` (nil: all namespaces or cluster-scoped).
    public init(client: KubeClient, resource: ResourceDescriptor, namespace: String?) {
        self.init(client: client, resource: resource, namespace: namespace, accessors: ObjectAccessors(
            name: { $0[path: "metadata", "name"]?.stringValue },
            resourceVersion: { $0[path: "metadata", "resourceVersion"]?.stringValue },
            prepareForWrite: { [resource] object in
                var o = object
                if o["apiVersion"] == nil { o["apiVersion"] = .string(resource.apiVersion) }
                if o["kind"] == nil { o["kind"] = .string(resource.kind) }
                return o
            }))
    }
}
