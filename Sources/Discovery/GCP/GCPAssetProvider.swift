import AsyncHTTPClient
import Foundation
import Logging
import TaggingAPI

/// Discovers a GCP organisation, folder or project through Cloud Asset Inventory's
/// `searchAllResources` (https://cloud.google.com/asset-inventory/docs/reference/rest/v1/TopLevel/searchAllResources):
/// one GET per page of up to 500 resources, paged by `nextPageToken`, with each resource's labels.
///
/// A token that cannot be had, or a scope denied outright, stops the run (nothing can be found); a
/// page failing after some were read yields a `.failure` and keeps what came before.
public struct GCPAssetProvider: DiscoveryProvider {
    public typealias Options = CloudAPIOptions

    public static let defaultEndpoint = "https://cloudasset.googleapis.com"
    static let api = "Cloud Asset API searchAllResources"
    static let permission = "cloudasset.assets.searchAllResources"
    static let hints = CloudAPIFailure.Hints(
        denied: "e.g. roles/cloudasset.viewer, and enable cloudasset.googleapis.com in the caller's project",
        unauthenticated: "check the service-account key or the workload identity binding",
        throttled: "run the job less often; the quota is per caller project",
        unavailable: "a Google-side problem; the next run retries")

    public let settings: GCPDiscoverySettings
    public let credentials: GCPCredentials
    public let options: Options
    private let listing: PagedCloudAPI

    public init(
        settings: GCPDiscoverySettings, credentials: GCPCredentials, httpClient: HTTPClient = AWSHTTP.shared,
        options: Options = Options(), logger: Logger = Logger(label: "vtag.discovery.gcp")
    ) {
        self.settings = settings
        self.credentials = credentials
        self.options = options
        let client = RESTClient(http: httpClient, retry: options.retry, timeout: options.requestTimeout, logger: logger)
        self.listing = PagedCloudAPI(
            api: Self.api, permission: Self.permission, hints: Self.hints,
            endpointQuestion: "is spec.gcp.endpointURL the Cloud Asset API?", client: client,
            tokens: AccessTokenCache { [credentials] in try await credentials.fetch(client: client) })
    }

    public var description: String {
        var text = "gcp \(settings.scopes.joined(separator: ", ")) as \(credentials.summary)"
        if let endpoint = settings.endpointURL { text += " at \(endpoint)" }
        return text
    }

    public func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        discoveryStream { try await run($0) }
    }

    /// `organizations/N`, `folders/N` or `projects/P`, as the CRD's pattern admits.
    static func validScope(_ scope: String) -> Bool {
        let parts = scope.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty else { return false }
        switch parts[0] {
        case "organizations", "folders": return parts[1].allSatisfy(\.isNumber)
        case "projects": return parts[1].allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" || $0 == "." || $0 == ":" }
        default: return false
        }
    }

    private func baseURL() throws -> String {
        var base = settings.endpointURL?.trimmingCharacters(in: .whitespaces) ?? ""
        if base.isEmpty { base = Self.defaultEndpoint }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw DiscoveryError.configuration("spec.gcp.endpointURL \"\(base)\" is not an http(s) URL")
        }
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    private struct Page: Decodable {
        var results: [GCPAsset]?
        var nextPageToken: String?
    }

    private func run(_ continuation: AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation) async throws {
        let scopes = settings.scopes.filter { !$0.isEmpty }
        guard !scopes.isEmpty else {
            throw DiscoveryError.configuration("no scopes to search: set spec.gcp.scopes (e.g. [organizations/123456789012])")
        }
        for scope in scopes where !Self.validScope(scope) {
            throw DiscoveryError.configuration(
                "spec.gcp.scopes: \"\(scope)\" is not organizations/NUMBER, folders/NUMBER or projects/PROJECT_ID")
        }
        let base = try baseURL()
        // Scopes one after another: they share the caller project's quota, and pages are large.
        try await listing.forEachScope(scopes, label: { "gcp \($0)" }, continuation) { scope in
            try await listing.readPages(
                Page.self, scope: scope, label: "gcp \(scope)",
                request: { pageToken, bearer in
                    var query: [(String, String)] = [("pageSize", String(options.pageSize(max: 500)))]
                    for type in settings.assetTypes ?? [] { query.append(("assetTypes", type)) }
                    if let pageToken { query.append(("pageToken", pageToken)) }
                    return RESTRequest(
                        url: "\(base)/v1/\(scope):searchAllResources?" + AWSPercentEncoding.formEncode(query),
                        headers: [("Authorization", "Bearer \(bearer)"), ("Accept", "application/json")])
                },
                contents: { PagedCloudAPI.PageContents(resources: ($0.results ?? []).map(\.spec), nextPageToken: $0.nextPageToken) },
                continuation)
        }
    }
}
