import Crypto
import Foundation
import _CryptoExtras

/// A Cloud Asset Inventory stand-in on loopback, answering as the v1 REST API does
/// (https://cloud.google.com/asset-inventory/docs/reference/rest/v1/TopLevel/searchAllResources):
/// `GET /v1/{scope}:searchAllResources?pageSize=&pageToken=&assetTypes=` with `{"results": [...],
/// "nextPageToken": "..."}`, Google's error bodies `{"error": {"code", "message", "status"}}`, pages capped
/// at 500, opaque page tokens. It also plays OAuth's token endpoint (RFC 7523 JWT bearer grant, the
/// assertion's RS256 signature checked against the key it was given) and the GKE metadata server.
public actor CloudAssetTestServer {
    public struct Options: Sendable {
        /// Scopes whose search is denied (403 PERMISSION_DENIED), as for a caller without the permission there.
        public var deniedScopes: Set<String> = []
        /// Every `throttleEvery`-th search answers 429 RESOURCE_EXHAUSTED (0: never).
        public var throttleEvery: Int = 0
        /// The public key whose private half signs service-account assertions.
        public var serviceAccountKey: _RSA.Signing.PublicKey?
        public var serviceAccountEmail: String = "vtag-discovery@vtag-test.iam.gserviceaccount.com"
        public init() {}

        /// Signs in the holder of `account`'s key.
        public init(trusting account: GCPTestServiceAccount) {
            serviceAccountKey = account.publicKey
            serviceAccountEmail = account.email
        }
    }

    public struct Counts: Sendable {
        public var searches = 0
        public var throttled = 0
        public var tokensIssued = 0
        public var metadataTokens = 0
        public var pageSizes: [Int] = []
    }

    private let options: Options
    /// Scope -> resources in listing order.
    private var estate: [String: [GCPTestAsset]]
    private var validTokens: Set<String> = []
    public private(set) var counts = Counts()
    private var server: LoopbackHTTPServer?

    public init(estate: [String: [GCPTestAsset]], options: Options = Options()) {
        self.estate = estate
        self.options = options
    }

    /// The Cloud Asset API and token endpoints' base URL.
    public var endpoint: String { server?.endpoint ?? "" }
    /// The token_uri to put in a service-account key.
    public var tokenURI: String { "\(endpoint)/token" }

    public func start() async throws {
        server = try await LoopbackHTTPServer.start { [weak self] exchange in
            guard let self else { return HTTPReply(status: 503) }
            return await self.handle(exchange)
        }
    }

    public func stop() { server?.stop() }

    func handle(_ exchange: HTTPExchange) -> HTTPReply {
        if exchange.method == "POST", exchange.path == "/token" { return token(exchange) }
        if exchange.path == "/computeMetadata/v1/instance/service-accounts/default/token" { return metadataToken(exchange) }
        if exchange.method == "GET", exchange.path.hasPrefix("/v1/"), exchange.path.hasSuffix(":searchAllResources") {
            let scope = String(exchange.path.dropFirst("/v1/".count).dropLast(":searchAllResources".count))
            return search(scope: scope, exchange)
        }
        return Self.error(404, "NOT_FOUND", "The requested URL \(exchange.path) was not found on this server.")
    }

    static func error(_ code: Int, _ status: String, _ message: String) -> HTTPReply {
        .json(code, ["error": ["code": code, "message": message, "status": status]])
    }

    private func issue() -> HTTPReply {
        let token = "ya29.test-\(UUID().uuidString)"
        validTokens.insert(token)
        return .json(200, ["access_token": token, "expires_in": 3599, "token_type": "Bearer"])
    }

    private func metadataToken(_ exchange: HTTPExchange) -> HTTPReply {
        // The metadata server refuses requests without the header (a guard against SSRF).
        guard exchange.headers["metadata-flavor"] == "Google" else {
            return HTTPReply(status: 403, body: Data("Missing Metadata-Flavor:Google header.".utf8))
        }
        counts.metadataTokens += 1
        return issue()
    }

    /// The JWT bearer grant: the assertion must be an RS256 JWT signed by the configured key, for
    /// this token URI, asking for cloud-platform.
    private func token(_ exchange: HTTPExchange) -> HTTPReply {
        func oauthError(_ error: String, _ description: String) -> HTTPReply {
            .json(400, ["error": error, "error_description": description])
        }
        let form = exchange.form
        guard form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return oauthError("unsupported_grant_type", "Invalid grant_type: \(form["grant_type"] ?? "")")
        }
        guard let assertion = form["assertion"] else { return oauthError("invalid_request", "Missing required parameter: assertion") }
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerData = Data(base64URL: parts[0]), let claimsData = Data(base64URL: parts[1]),
            let signature = Data(base64URL: parts[2]),
            let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
            let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
        else { return oauthError("invalid_grant", "Invalid JWT: malformed") }
        guard header["alg"] as? String == "RS256" else { return oauthError("invalid_grant", "Invalid JWT: alg must be RS256") }
        guard let key = options.serviceAccountKey,
            key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: Data("\(parts[0]).\(parts[1])".utf8)), padding: .insecurePKCS1v1_5)
        else { return oauthError("invalid_grant", "Invalid JWT Signature.") }
        guard claims["iss"] as? String == options.serviceAccountEmail else { return oauthError("invalid_grant", "Invalid JWT: unknown issuer") }
        guard claims["aud"] as? String == tokenURI else { return oauthError("invalid_grant", "Invalid JWT: audience is not \(tokenURI)") }
        guard (claims["scope"] as? String ?? "").split(separator: " ").contains("https://www.googleapis.com/auth/cloud-platform") else {
            return oauthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        }
        let now = Date().timeIntervalSince1970
        guard let iat = claims["iat"] as? Double, let exp = claims["exp"] as? Double, iat <= now + 60, exp > now, exp - iat <= 3600 else {
            return oauthError("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.")
        }
        counts.tokensIssued += 1
        return issue()
    }

    private func search(scope: String, _ exchange: HTTPExchange) -> HTTPReply {
        guard let auth = exchange.headers["authorization"], auth.hasPrefix("Bearer "), validTokens.contains(String(auth.dropFirst(7))) else {
            return Self.error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
        }
        counts.searches += 1
        if options.throttleEvery > 0, counts.searches % options.throttleEvery == 0 {
            counts.throttled += 1
            return Self.error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Search requests' and limit 'Search requests per minute' of service 'cloudasset.googleapis.com'.")
        }
        if options.deniedScopes.contains(scope) {
            return Self.error(403, "PERMISSION_DENIED", "The caller does not have permission")
        }
        guard let resources = estate[scope] else {
            return Self.error(400, "INVALID_ARGUMENT", "Invalid scope: \(scope). Expected organizations/{ORGANIZATION_NUMBER}, folders/{FOLDER_NUMBER} or projects/{PROJECT_ID}.")
        }
        let types = exchange.queryValues("assetTypes")
        let matching = types.isEmpty ? resources : resources.filter { types.contains($0.assetType) }
        let requested = Int(exchange.queryValue("pageSize") ?? "") ?? 0
        let pageSize = requested <= 0 ? 100 : min(requested, 500)
        counts.pageSizes.append(pageSize)
        var offset = 0
        if let token = exchange.queryValue("pageToken"), !token.isEmpty {
            // Tokens are opaque to callers; here they carry the scope and offset they continue.
            guard let data = Data(base64URL: Substring(token)), let text = String(data: data, encoding: .utf8),
                let bar = text.lastIndex(of: "|"), String(text[..<bar]) == scope, let o = Int(text[text.index(after: bar)...])
            else { return Self.error(400, "INVALID_ARGUMENT", "Invalid page token.") }
            offset = o
        }
        let end = min(offset + pageSize, matching.count)
        var body: [String: Any] = ["results": matching[min(offset, end)..<end].map(\.json)]
        if end < matching.count { body["nextPageToken"] = Data("\(scope)|\(end)".utf8).base64URLString }
        return .json(200, body)
    }
}

extension Data {
    init?(base64URL: Substring) {
        var s = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        self.init(base64Encoded: s)
    }

    var base64URLString: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// One resource as `searchAllResources` returns it (a `ResourceSearchResult`).
public struct GCPTestAsset: Sendable {
    public var name: String
    public var assetType: String
    /// projects/{PROJECT_NUMBER}.
    public var project: String
    public var displayName: String
    public var location: String
    public var labels: [String: String]
    public var parentFullResourceName: String
    public var folders: [String]

    public init(
        name: String, assetType: String, project: String, displayName: String, location: String, labels: [String: String],
        parentFullResourceName: String, folders: [String] = []
    ) {
        self.name = name
        self.assetType = assetType
        self.project = project
        self.displayName = displayName
        self.location = location
        self.labels = labels
        self.parentFullResourceName = parentFullResourceName
        self.folders = folders
    }

    var json: [String: Any] {
        var object: [String: Any] = [
            "name": name, "assetType": assetType, "project": project, "displayName": displayName, "location": location,
            "parentFullResourceName": parentFullResourceName, "state": "RUNNING", "createTime": "2026-03-01T09:00:00Z",
        ]
        // The API leaves out empty fields (proto3 JSON).
        if !labels.isEmpty { object["labels"] = labels }
        if !folders.isEmpty { object["folders"] = folders }
        return object
    }
}
