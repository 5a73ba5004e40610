/// Where a kind lives in the API: enough to build every URL for it.
public struct ResourceDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// API group; "" for the core group.
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs, e.g. "configmaps".
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// "v1" for the core group, else "group/version".
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    public var description: String { group.isEmpty ? plural : "\(plural).\(group)" }
}

/// A typed Kubernetes object: Codable with metadata and a descriptor of its kind.
public protocol KubernetesObject: Codable, Sendable {
    static var resource: ResourceDescriptor { get }
    var apiVersion: String? { get set }
    var kind: String? { get set }
    var metadata: ObjectMeta { get set }
}

extension KubernetesObject {
    public var name: String { metadata.name ?? "" }
    public var namespace: String? { metadata.namespace }

    /// Sets apiVersion and kind from the descriptor, as the API server expects them on writes.
    public mutating func fillTypeMeta() {
        apiVersion = Self.resource.apiVersion
        kind = Self.resource.kind
    }

    /// An owner reference pointing at this object (controller = true), for objects it creates.
    public func controllerReference() -> OwnerReference? {
        guard let name = metadata.name, let uid = metadata.uid else { return nil }
        return OwnerReference(
            apiVersion: Self.resource.apiVersion, kind: Self.resource.kind, name: name, uid: uid,
            controller: true, blockOwnerDeletion: true)
    }
}

/// A typed object that has a status subresource.
public protocol HasStatus: KubernetesObject {
    associatedtype Status: Codable & Sendable & Equatable
    var status: Status? { get set }
}

/// A status a merge patch can replace whole: each top-level field is a scalar or a list (which a merge
/// patch replaces whole), none a map (which it would merge into the old one). So its JSON with `null` for
/// each absent field (`JSONWriter.writeWhole`) is the whole new status, sent without the rest of the
/// object (`Api.patchStatus(of:)`).
public protocol WholeStatusPatchable: JSONWritable {}

/// A list answer: `{"kind": "XList", "metadata": {...}, "items": [...]}`.
public struct ObjectList<Item: Codable & Sendable>: Codable, Sendable {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ListMeta
    public var items: [Item]

    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ListMeta = ListMeta(), items: [Item]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.items = items
    }
}
