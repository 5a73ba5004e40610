import KubeCore
/// core/v1 Namespace (cluster-scoped).
public struct Namespace: HasStatus, Hashable {
    public static let resource = ResourceDescriptor(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: Spec?
    public var status: Status?

    public struct Spec: Codable, Sendable, Hashable {
        public var finalizers: [String]?
        public init(finalizers: [String]? = nil) { self.finalizers = finalizers }
    }

    public struct Status: Codable, Sendable, Hashable {
        /// "Active" or "Terminating".
        public var phase: String?
        public init(phase: String? = nil) { self.phase = phase }
    }

    public init(name: String, labels: [String: String]? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = ObjectMeta(name: name, labels: labels)
    }
}
