/// Settings for provider gcp: Cloud Asset Inventory scopes, each searched with `searchAllResources`.
public struct GCPDiscoverySettings: Codable, Sendable, Hashable {
    /// Each `organizations/NUMBER`, `folders/NUMBER` or `projects/ID_OR_NUMBER`; searched on its own, so
    /// a denied scope does not hide the others.
    public var scopes: [String]
    /// Asset types to list (e.g. `compute.googleapis.com/Instance`, regular expressions allowed as the
    /// API allows them); absent: every searchable type.
    public var assetTypes: [String]?
    /// A Secret in the job's namespace holding a service-account key (JSON); absent: the operator's
    /// GKE workload identity (the metadata server).
    public var credentialsSecretRef: GCPCredentialsSecretRef?
    /// The Cloud Asset API's base URL (a Private Service Connect endpoint, a test server); absent:
    /// https://cloudasset.googleapis.com.
    public var endpointURL: String?

    public init(
        scopes: [String], assetTypes: [String]? = nil, credentialsSecretRef: GCPCredentialsSecretRef? = nil, endpointURL: String? = nil
    ) {
        self.scopes = scopes
        self.assetTypes = assetTypes
        self.credentialsSecretRef = credentialsSecretRef
        self.endpointURL = endpointURL
    }
}

public struct GCPCredentialsSecretRef: Codable, Sendable, Hashable {
    public static let defaultKey = "key.json"

    public var name: String
    /// The Secret's key holding the service-account key file. Default `key.json`.
    public var key: String?

    public init(name: String, key: String? = nil) {
        self.name = name
        self.key = key
    }

    public var effectiveKey: String { key ?? Self.defaultKey }
}
