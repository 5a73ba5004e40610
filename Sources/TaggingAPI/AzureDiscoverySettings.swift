/// Settings for provider azure: Resource Graph queried per subscription or per management group.
public struct AzureDiscoverySettings: Codable, Sendable, Hashable {
    /// Subscription ids; each is queried on its own, so one denied subscription does not hide the others.
    public var subscriptions: [String]?
    /// Management group names (queried on their own, like subscriptions).
    public var managementGroups: [String]?
    /// A Secret in the job's namespace holding a service principal's tenant id, client id and secret;
    /// absent: the operator's workload identity (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE).
    public var credentialsSecretRef: AzureCredentialsSecretRef?
    /// Azure Resource Manager's base URL (a sovereign cloud, a test server); absent: https://management.azure.com.
    public var endpointURL: String?
    /// Microsoft Entra ID's base URL (a sovereign cloud, a test server); absent: https://login.microsoftonline.com.
    public var authorityURL: String?

    public init(
        subscriptions: [String]? = nil, managementGroups: [String]? = nil, credentialsSecretRef: AzureCredentialsSecretRef? = nil,
        endpointURL: String? = nil, authorityURL: String? = nil
    ) {
        self.subscriptions = subscriptions
        self.managementGroups = managementGroups
        self.credentialsSecretRef = credentialsSecretRef
        self.endpointURL = endpointURL
        self.authorityURL = authorityURL
    }
}

public struct AzureCredentialsSecretRef: Codable, Sendable, Hashable {
    public static let defaultTenantIDKey = "tenant_id"
    public static let defaultClientIDKey = "client_id"
    public static let defaultClientSecretKey = "client_secret"

    public var name: String
    public var tenantIDKey: String?
    public var clientIDKey: String?
    public var clientSecretKey: String?

    public init(name: String, tenantIDKey: String? = nil, clientIDKey: String? = nil, clientSecretKey: String? = nil) {
        self.name = name
        self.tenantIDKey = tenantIDKey
        self.clientIDKey = clientIDKey
        self.clientSecretKey = clientSecretKey
    }

    public var effectiveTenantIDKey: String { tenantIDKey ?? Self.defaultTenantIDKey }
    public var effectiveClientIDKey: String { clientIDKey ?? Self.defaultClientIDKey }
    public var effectiveClientSecretKey: String { clientSecretKey ?? Self.defaultClientSecretKey }
}
