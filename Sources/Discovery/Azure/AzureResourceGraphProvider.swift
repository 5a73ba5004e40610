import AsyncHTTPClient
import Foundation
import Logging
import TaggingAPI

/// Discovers Azure subscriptions or management groups through Resource Graph
/// (https://learn.microsoft.com/rest/api/azureresourcegraph/resourcegraph/resources/resources): a
/// `resourcecontainers` query for subscriptions and resource groups (their tags pass to what they
/// hold), then a `resources` query, each paged with `$skipToken` at up to 1,000 rows a page.
///
/// Every subscription and management group is queried on its own: a denied one yields a `.failure`
/// naming it and the permission, the others are kept. Sign-in refused, or every scope denied, throws.
public struct AzureResourceGraphProvider: DiscoveryProvider {
    public typealias Options = CloudAPIOptions

    public static let defaultEndpoint = "https://management.azure.com"
    static let apiVersion = "2022-10-01"
    static let api = "Azure Resource Graph resources query"
    static let permission = "Microsoft.ResourceGraph/resources/read and read access to the resources"
    static let hints = CloudAPIFailure.Hints(
        denied: "e.g. the Reader role",
        unauthenticated: "check the tenant of the credentials",
        throttled: "Resource Graph allows 15 queries per 5 seconds per user; run the job less often",
        unavailable: "an Azure-side problem; the next run retries")

    /// Subscriptions and resource groups first: they carry the tags their members inherit.
    static let queries = [
        "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' or type =~ 'microsoft.resources/subscriptions/resourcegroups' | project id, name, type, location, resourceGroup, subscriptionId, tags | order by id asc",
        "resources | project id, name, type, location, resourceGroup, subscriptionId, tags, kind, sku, managedBy | order by id asc",
    ]

    public let settings: AzureDiscoverySettings
    public let credentials: AzureCredentials
    public let options: Options
    private let listing: PagedCloudAPI

    public init(
        settings: AzureDiscoverySettings, credentials: AzureCredentials, httpClient: HTTPClient = AWSHTTP.shared,
        options: Options = Options(), logger: Logger = Logger(label: "vtag.discovery.azure")
    ) {
        self.settings = settings
        self.credentials = credentials
        self.options = options
        let client = RESTClient(http: httpClient, retry: options.retry, timeout: options.requestTimeout, logger: logger)
        let authority = Self.trimmed(settings.authorityURL) ?? AzureCredentials.defaultAuthority
        self.listing = PagedCloudAPI(
            api: Self.api, permission: Self.permission, hints: Self.hints,
            endpointQuestion: "is spec.azure.endpointURL Azure Resource Manager?", client: client,
            tokens: AccessTokenCache { [credentials] in try await credentials.fetch(authority: authority, client: client) })
    }

    public var description: String {
        let scopes = (settings.subscriptions ?? []).map { "subscription \($0)" } + (settings.managementGroups ?? []).map { "management group \($0)" }
        var text = "azure [\(scopes.joined(separator: ", "))] as \(credentials.summary)"
        if let endpoint = settings.endpointURL { text += " at \(endpoint)" }
        return text
    }

    static func trimmed(_ url: String?) -> String? {
        guard var base = url?.trimmingCharacters(in: .whitespaces), !base.isEmpty else { return nil }
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    public func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        discoveryStream { try await run($0) }
    }

    /// One place Resource Graph is asked about.
    struct Scope: Sendable {
        /// The request body's key and value: `subscriptions: [id]` or `managementGroups: [name]`.
        var field: String
        var value: String
        var label: String
    }

    private func run(_ continuation: AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation) async throws {
        let scopes =
            (settings.subscriptions ?? []).filter { !$0.isEmpty }.map { Scope(field: "subscriptions", value: $0, label: "subscription \($0)") }
            + (settings.managementGroups ?? []).filter { !$0.isEmpty }.map {
                Scope(field: "managementGroups", value: $0, label: "management group \($0)")
            }
        guard !scopes.isEmpty else {
            throw DiscoveryError.configuration("nothing to query: set spec.azure.subscriptions or spec.azure.managementGroups")
        }
        let base = Self.trimmed(settings.endpointURL) ?? Self.defaultEndpoint
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw DiscoveryError.configuration("spec.azure.endpointURL \"\(base)\" is not an http(s) URL")
        }
        let url = "\(base)/providers/Microsoft.ResourceGraph/resources?api-version=\(Self.apiVersion)"
        try await listing.forEachScope(scopes, label: { "azure \($0.label)" }, continuation) { scope in
            for query in Self.queries {
                try await listing.readPages(
                    Page.self, scope: scope.label, label: "azure \(scope.label)",
                    request: { skipToken, bearer in
                        var paging: [String: Any] = ["$top": options.pageSize(max: 1000), "resultFormat": "objectArray"]
                        if let skipToken { paging["$skipToken"] = skipToken }
                        let body: [String: Any] = [scope.field: [scope.value], "query": query, "options": paging]
                        return RESTRequest(
                            method: "POST", url: url,
                            headers: [("Authorization", "Bearer \(bearer)"), ("Content-Type", "application/json"), ("Accept", "application/json")],
                            body: Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])))
                    },
                    contents: { PagedCloudAPI.PageContents(resources: ($0.data ?? []).compactMap(\.spec), nextPageToken: $0.skipToken) },
                    continuation)
            }
        }
    }

    private struct Page: Decodable {
        var data: [AzureResourceRow]?
        var skipToken: String?
        enum CodingKeys: String, CodingKey {
            case data
            case skipToken = "$skipToken"
        }
    }
}
