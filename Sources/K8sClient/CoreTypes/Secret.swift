import Foundation
import KubeCore

/// core/v1 Secret. `data` values are the decoded bytes (base64 on the wire).
public struct Secret: KubernetesObject, Hashable {
    public static let resource = ResourceDescriptor(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true)

    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var data: [String: Data]?
    /// Write-only convenience: the server merges it into `data` and never returns it.
    public var stringData: [String: String]?
    /// e.g. "Opaque", "kubernetes.io/tls".
    public var type: String?
    public var immutable: Bool?

    public init(metadata: ObjectMeta, data: [String: Data]? = nil, stringData: [String: String]? = nil, type: String? = nil, immutable: Bool? = nil) {
        self.apiVersion = Self.resource.apiVersion
        self.kind = Self.resource.kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }

    /// The value of `key` as UTF-8 text (from `data`, else `stringData`).
    public func string(_ key: String) -> String? {
        if let bytes = data?[key] { return String(decoding: bytes, as: UTF8.self) }
        return stringData?[key]
    }
}
