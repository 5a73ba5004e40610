import Foundation
import KubeCore

/// core/v1 ConfigMap.
public struct ConfigMap: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: String]?
    /// Values are base64 in JSON; `Data` encodes that way by default.
    public var binaryData: [String: Data]?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, data: [String: String]? = nil, binaryData: [String: Data]? = nil, immutable: Bool? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.binaryData = binaryData
        self.immutable = immutable
    }
}
