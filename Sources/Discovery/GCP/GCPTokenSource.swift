import Foundation

/// Where GCP access tokens come from: a service-account key (signed JWT exchanged at the key's
/// token_uri) or the metadata server (GKE workload identity, or a VM's attached service account).
public enum GCPCredentials: Sendable {
    case serviceAccountKey(GCPServiceAccountKey)
    /// The metadata server's base URL, e.g. http://metadata.google.internal (GCE_METADATA_HOST overrides the host).
    case metadataServer(baseURL: String)

    public static let scope = "https://www.googleapis.com/auth/cloud-platform"
    public static let defaultMetadataURL = "http://metadata.google.internal"

    /// The metadata server Google's client libraries use: `GCE_METADATA_HOST` when set, else metadata.google.internal.
    public static func metadataServer(environment: [String: String]) -> GCPCredentials {
        if let host = environment["GCE_METADATA_HOST"], !host.isEmpty {
            return .metadataServer(baseURL: host.contains("://") ? host : "http://\(host)")
        }
        return .metadataServer(baseURL: defaultMetadataURL)
    }

    var summary: String {
        switch self {
        case .serviceAccountKey(let key): "service account \(key.clientEmail)"
        case .metadataServer(let url): "workload identity (metadata server \(url))"
        }
    }

    /// Fetches a fresh access token.
    func fetch(client: RESTClient) async throws -> AccessToken {
        let request: RESTRequest
        let api: String
        switch self {
        case .serviceAccountKey(let key):
            let assertion = try key.assertion(scope: Self.scope)
            api = "OAuth token exchange at \(key.tokenURI) for \(key.clientEmail)"
            request = RESTRequest(
                method: "POST", url: key.tokenURI, headers: [("Content-Type", "application/x-www-form-urlencoded")],
                body: RESTClient.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)]))
        case .metadataServer(let base):
            var trimmed = base
            while trimmed.hasSuffix("/") { trimmed.removeLast() }
            api = "metadata server token endpoint \(trimmed)"
            request = RESTRequest(
                url: "\(trimmed)/computeMetadata/v1/instance/service-accounts/default/token", headers: [("Metadata-Flavor", "Google")])
        }
        let answer = try await client.send(request)
        guard answer.isSuccess, let token = try? JSONDecoder().decode(OAuthTokenAnswer.self, from: answer.body) else {
            throw DiscoveryError.signIn(CloudSignInFailure(
                endpoint: api, credentials: summary,
                hint: "check that the key in the Secret is current (not deleted or disabled), or that the Kubernetes service account is bound to a Google service account for workload identity",
                answer: answer))
        }
        return token.token
    }
}
