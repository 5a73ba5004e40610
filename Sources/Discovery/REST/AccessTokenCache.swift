import Foundation

/// An OAuth access token and when it stops working.
struct AccessToken: Sendable {
    var value: String
    var expiresAt: Date
}

/// Holds one OAuth access token and fetches a new one shortly before it expires; concurrent callers
/// share one fetch, so a run's many pages cost one token request.
actor AccessTokenCache {
    private let fetch: @Sendable () async throws -> AccessToken
    private var current: AccessToken?
    private var inFlight: Task<AccessToken, any Error>?
    /// A token this close to expiry is replaced before use.
    private let margin: TimeInterval = 120

    init(fetch: @escaping @Sendable () async throws -> AccessToken) { self.fetch = fetch }

    func token() async throws -> String {
        if let current, current.expiresAt.timeIntervalSinceNow > margin { return current.value }
        if let inFlight { return try await inFlight.value.value }
        let task = Task { try await fetch() }
        inFlight = task
        defer { inFlight = nil }
        let token = try await task.value
        current = token
        return token.value
    }
}

/// The OAuth 2.0 token answer both clouds send: `{"access_token": "...", "expires_in": 3599, "token_type": "Bearer"}`.
struct OAuthTokenAnswer: Decodable {
    var access_token: String
    var expires_in: Double?

    /// Some endpoints (Entra ID v1, older metadata servers) send expires_in as a string.
    enum CodingKeys: String, CodingKey { case access_token, expires_in }
    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        access_token = try c.decode(String.self, forKey: .access_token)
        if let n = try? c.decodeIfPresent(Double.self, forKey: .expires_in) {
            expires_in = n
        } else {
            expires_in = (try c.decodeIfPresent(String.self, forKey: .expires_in)).flatMap(Double.init)
        }
    }

    var token: AccessToken { AccessToken(value: access_token, expiresAt: Date().addingTimeInterval(expires_in ?? 3600)) }
}
