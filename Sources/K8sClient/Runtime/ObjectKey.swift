import KubeCore
/// Identifies one object of a kind: what work queues carry and caches are keyed by.
/// `namespace` is nil for cluster-scoped objects.
public struct ObjectKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var namespace: String?
    public var name: String

    public init(namespace: String?, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public init(_ object: some KubernetesObject) {
        self.init(namespace: object.metadata.namespace, name: object.metadata.name ?? "")
    }

    /// "namespace/name", or "name" when cluster-scoped (the form kubectl and client-go print).
    public var description: String {
        if let namespace, !namespace.isEmpty { return "\(namespace)/\(name)" }
        return name
    }

    public static func < (a: ObjectKey, b: ObjectKey) -> Bool {
        (a.namespace ?? "", a.name) < (b.namespace ?? "", b.name)
    }
}
