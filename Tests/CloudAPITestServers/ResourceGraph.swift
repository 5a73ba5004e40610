import Foundation

/// An Azure Resource Graph and Microsoft Entra ID stand-in on loopback, answering as the real ones do:
/// `POST /providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01` with
/// `{"subscriptions"|"managementGroups", "query", "options": {"$top", "$skipToken", "resultFormat"}}` and
/// `{"totalRecords", "count", "data", "facets", "resultTruncated", "$skipToken"}`; ARM's error bodies
/// `{"error": {"code", "message"}}`; 429 RateLimiting with Retry-After; and the client-credentials grant at
/// `POST /{tenant}/oauth2/v2.0/token` (client secret or federated client assertion).
///
/// Queries are not parsed as KQL: the table is the query's first word (`resources` or `resourcecontainers`).
public actor ResourceGraphTestServer {
    public struct Options: Sendable {
        public var tenantID = "72f988bf-86f1-41af-91ab-2d7cd011db47"
        public var clientID = "9f1c3a52-0000-4000-8000-00000000c11e"
        public var clientSecret = "test-client-secret"
        /// The federated token workload identity presents as its client assertion.
        public var federatedToken = "eyJhbGciOiJSUzI1NiJ9.test-federated-token.sig"
        /// Management group name -> its subscriptions.
        public var managementGroups: [String: [String]] = [:]
        /// Subscriptions (or management groups) the caller may not read: 403 AuthorizationFailed.
        public var deniedScopes: Set<String> = []
        /// Every `throttleEvery`-th query answers 429 RateLimiting (0: never).
        public var throttleEvery = 0
        /// The Retry-After (seconds) of throttled answers.
        public var retryAfterSeconds = 1
        public init() {}
    }

    public struct Counts: Sendable {
        public var queries = 0
        public var throttled = 0
        public var tokensIssued = 0
        public var federatedSignIns = 0
        public var tops: [Int] = []
    }

    private let options: Options
    private let rows: [AzureTestRow]
    private var validTokens: Set<String> = []
    public private(set) var counts = Counts()
    private var server: LoopbackHTTPServer?

    public init(rows: [AzureTestRow], options: Options = Options()) {
        self.rows = rows
        self.options = options
    }

    /// Both ARM's and Entra ID's base URL.
    public var endpoint: String { server?.endpoint ?? "" }

    public func start() async throws {
        server = try await LoopbackHTTPServer.start { [weak self] exchange in
            guard let self else { return HTTPReply(status: 503) }
            return await self.handle(exchange)
        }
    }

    public func stop() { server?.stop() }

    static func armError(_ status: Int, _ code: String, _ message: String, headers: [(String, String)] = []) -> HTTPReply {
        .json(status, ["error": ["code": code, "message": message]], headers: headers)
    }

    func handle(_ exchange: HTTPExchange) -> HTTPReply {
        if exchange.method == "POST", exchange.path.hasSuffix("/oauth2/v2.0/token") {
            return token(tenant: String(exchange.path.dropFirst().prefix { $0 != "/" }), exchange)
        }
        if exchange.method == "POST", exchange.path.lowercased() == "/providers/microsoft.resourcegraph/resources" {
            return query(exchange)
        }
        return Self.armError(404, "InvalidResourceType", "The resource type could not be found in the namespace for api version.")
    }

    private func token(tenant: String, _ exchange: HTTPExchange) -> HTTPReply {
        func entraError(_ status: Int, _ error: String, _ description: String) -> HTTPReply {
            .json(status, ["error": error, "error_description": description, "error_codes": [Int(description.dropFirst(5).prefix { $0.isNumber }) ?? 0]])
        }
        guard tenant == options.tenantID else {
            return entraError(400, "invalid_request", "AADSTS90002: Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
        }
        let form = exchange.form
        guard form["grant_type"] == "client_credentials" else {
            return entraError(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        }
        guard form["scope"] == "https://management.azure.com/.default" else {
            return entraError(400, "invalid_scope", "AADSTS70011: The provided value for the input parameter 'scope' is not valid.")
        }
        guard form["client_id"] == options.clientID else {
            return entraError(400, "unauthorized_client", "AADSTS700016: Application with identifier '\(form["client_id"] ?? "")' was not found in the directory.")
        }
        if let secret = form["client_secret"] {
            guard secret == options.clientSecret else {
                return entraError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(options.clientID)'.")
            }
        } else if form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", let assertion = form["client_assertion"] {
            guard assertion == options.federatedToken else {
                return entraError(400, "invalid_client", "AADSTS700213: No matching federated identity record found for presented assertion subject.")
            }
            counts.federatedSignIns += 1
        } else {
            return entraError(401, "invalid_client", "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        counts.tokensIssued += 1
        let token = "eyJ0eXAiOiJKV1QifQ.test-\(UUID().uuidString)"
        validTokens.insert(token)
        return .json(200, ["token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token])
    }

    private func query(_ exchange: HTTPExchange) -> HTTPReply {
        guard exchange.queryValue("api-version") == "2022-10-01" || exchange.queryValue("api-version") == "2021-03-01" else {
            return Self.armError(400, "InvalidApiVersionParameter", "The api-version '\(exchange.queryValue("api-version") ?? "")' is invalid.")
        }
        guard let auth = exchange.headers["authorization"], auth.hasPrefix("Bearer "), validTokens.contains(String(auth.dropFirst(7))) else {
            return Self.armError(401, "InvalidAuthenticationToken", "The access token is invalid.")
        }
        counts.queries += 1
        if options.throttleEvery > 0, counts.queries % options.throttleEvery == 0 {
            counts.throttled += 1
            return Self.armError(
                429, "RateLimiting",
                "Please provide below info when asking for support: timestamp = \(ISO8601DateFormatter().string(from: Date())), correlationId = \(UUID().uuidString). Details: Rate limit exceeded.",
                headers: [
                    ("Retry-After", String(options.retryAfterSeconds)), ("x-ms-user-quota-remaining", "0"),
                    ("x-ms-user-quota-resets-after", String(format: "00:00:%02d", options.retryAfterSeconds)),
                ])
        }
        guard let body = try? JSONSerialization.jsonObject(with: exchange.body) as? [String: Any], let query = body["query"] as? String else {
            return Self.armError(400, "BadRequest", "The request content was invalid and could not be deserialized.")
        }
        var subscriptions: [String] = []
        for sub in body["subscriptions"] as? [String] ?? [] {
            if options.deniedScopes.contains(sub) { return denied("/subscriptions/\(sub)") }
            subscriptions.append(sub.lowercased())
        }
        for group in body["managementGroups"] as? [String] ?? [] {
            if options.deniedScopes.contains(group) { return denied("/providers/Microsoft.Management/managementGroups/\(group)") }
            subscriptions += (options.managementGroups[group] ?? []).map { $0.lowercased() }
        }
        let table = query.split(whereSeparator: { $0 == " " || $0 == "|" }).first.map { $0.lowercased() } ?? ""
        let wanted = rows.filter { subscriptions.contains($0.subscriptionId.lowercased()) && ($0.isContainer == (table == "resourcecontainers")) }
        let paging = body["options"] as? [String: Any] ?? [:]
        let top = min(max((paging["$top"] as? Int) ?? 100, 1), 1000)
        counts.tops.append(top)
        var offset = 0
        if let token = paging["$skipToken"] as? String {
            guard let data = Data(base64URL: Substring(token)), let o = Int(String(decoding: data, as: UTF8.self)) else {
                return Self.armError(400, "BadRequest", "Invalid $skipToken.")
            }
            offset = o
        }
        let end = min(offset + top, wanted.count)
        let page = wanted[min(offset, end)..<end].map(\.json)
        var answer: [String: Any] = [
            "totalRecords": wanted.count, "count": page.count, "data": page, "facets": [] as [Any], "resultTruncated": "false",
        ]
        if end < wanted.count { answer["$skipToken"] = Data(String(end).utf8).base64URLString }
        return .json(200, answer)
    }

    private func denied(_ scope: String) -> HTTPReply {
        Self.armError(
            403, "AuthorizationFailed",
            "The client '\(options.clientID)' with object id '\(options.clientID)' does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read' over scope '\(scope)' or the scope is invalid. If access was recently granted, please refresh your credentials.")
    }
}

/// One row of the `resources` or `resourcecontainers` table.
public struct AzureTestRow: Sendable {
    public var id: String
    public var name: String
    /// Lowercased as Resource Graph returns it, e.g. microsoft.compute/virtualmachines.
    public var type: String
    public var location: String
    public var resourceGroup: String
    public var subscriptionId: String
    public var tags: [String: String]?

    public init(id: String, name: String, type: String, location: String, resourceGroup: String, subscriptionId: String, tags: [String: String]?) {
        self.id = id
        self.name = name
        self.type = type
        self.location = location
        self.resourceGroup = resourceGroup
        self.subscriptionId = subscriptionId
        self.tags = tags
    }

    var isContainer: Bool { type.hasPrefix("microsoft.resources/subscriptions") }

    var json: [String: Any] {
        [
            "id": id, "name": name, "type": type, "location": location, "resourceGroup": resourceGroup, "subscriptionId": subscriptionId,
            // Untagged resources carry null tags.
            "tags": tags.map { $0 as Any } ?? NSNull(),
        ]
    }
}
