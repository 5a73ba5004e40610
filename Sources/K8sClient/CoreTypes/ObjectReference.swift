import KubeCore
/// core/v1 ObjectReference: what an Event is about.
public struct ObjectReference: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var kind: String?
    public var name: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(apiVersion: String? = nil, kind: String? = nil, name: String? = nil, namespace: String? = nil, uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

extension KubernetesObject {
    /// A reference to this object, e.g. for the `involvedObject` / `regarding` of an Event.
    public func objectReference() -> ObjectReference {
        ObjectReference(
            apiVersion: Self.resource.apiVersion, kind: Self.resource.kind, name: metadata.name,
            namespace: metadata.namespace, uid: metadata.uid, resourceVersion: metadata.resourceVersion)
    }
}
