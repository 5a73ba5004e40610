import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// How providers that call STS reach it.
public struct STSConnection: Sendable {
    public var region: String
    /// An AWS-compatible endpoint for STS (and everything else), e.g. a moto server.
    public var endpointURL: String?
    public var httpClient: HTTPClient
    public var retry: AWSRetryPolicy
    public var timeout: Duration

    public init(
        region: String = "us-east-1", endpointURL: String? = nil, httpClient: HTTPClient = AWSHTTP.shared, retry: AWSRetryPolicy = .default,
        timeout: Duration = .seconds(30)
    ) {
        self.region = region
        self.endpointURL = endpointURL
        self.httpClient = httpClient
        self.retry = retry
        self.timeout = timeout
    }

    func sts(logger: Logger) throws -> STS {
        let transport = AWSTransport(
            http: httpClient, endpoints: try AWSEndpoints(overrideURL: endpointURL), retry: retry,
            timeout: .nanoseconds(timeout.nanoseconds), logger: logger)
        return STS(transport: transport, region: region)
    }
}

/// EKS-style web identity (IRSA): exchanges the projected service-account token for temporary
/// credentials with STS AssumeRoleWithWebIdentity, re-reading the token (it rotates) at each refresh.
public struct WebIdentityCredentialsProvider: AWSCredentialsProvider {
    public let roleARN: String
    public let tokenFile: String
    private let cache: RefreshingCredentialsProvider

    public init(
        roleARN: String, tokenFile: String, sessionName: String = "vtag-discovery", connection: STSConnection = STSConnection(),
        durationSeconds: Int = 3600, refreshMargin: TimeInterval = 300,
        logger: Logger = Logger(label: "vtag.discovery.aws")
    ) throws {
        self.roleARN = roleARN
        self.tokenFile = tokenFile
        let sts = try connection.sts(logger: logger)
        self.cache = RefreshingCredentialsProvider(refreshMargin: refreshMargin) {
            let token: String
            do {
                token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw DiscoveryError.noCredentials(
                    "cannot read the web identity token file \(tokenFile): \(error.localizedDescription) (is the service account token projected into the pod?)")
            }
            return try await sts.assumeRoleWithWebIdentity(
                roleARN: roleARN, token: token, sessionName: sessionName, durationSeconds: durationSeconds)
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    /// How many times STS was asked (the cache's fetches).
    public var fetchCount: Int { get async { await cache.fetchCount } }

    /// From `AWS_ROLE_ARN` and `AWS_WEB_IDENTITY_TOKEN_FILE` (optional `AWS_ROLE_SESSION_NAME`), as EKS
    /// sets them; nil when they are not set.
    public static func environment(
        _ env: [String: String] = ProcessInfo.processInfo.environment, connection: STSConnection = STSConnection()
    ) throws -> WebIdentityCredentialsProvider? {
        guard let role = env["AWS_ROLE_ARN"], !role.isEmpty, let file = env["AWS_WEB_IDENTITY_TOKEN_FILE"], !file.isEmpty else {
            return nil
        }
        var connection = connection
        if let region = env["AWS_REGION"] ?? env["AWS_DEFAULT_REGION"], !region.isEmpty { connection.region = region }
        return try WebIdentityCredentialsProvider(
            roleARN: role, tokenFile: file, sessionName: env["AWS_ROLE_SESSION_NAME"] ?? "vtag-discovery", connection: connection)
    }
}

/// Assumes a role (optionally with an external id) using base credentials, refreshing before expiry.
public struct AssumeRoleCredentialsProvider: AWSCredentialsProvider {
    public let roleARN: String
    private let cache: RefreshingCredentialsProvider

    public init(
        base: any AWSCredentialsProvider, roleARN: String, externalID: String? = nil, sessionName: String = "vtag-discovery",
        connection: STSConnection = STSConnection(), durationSeconds: Int = 3600, refreshMargin: TimeInterval = 300,
        logger: Logger = Logger(label: "vtag.discovery.aws")
    ) throws {
        self.roleARN = roleARN
        let sts = try connection.sts(logger: logger)
        self.cache = RefreshingCredentialsProvider(refreshMargin: refreshMargin) {
            try await sts.assumeRole(
                base, roleARN: roleARN, externalID: externalID, sessionName: sessionName, durationSeconds: durationSeconds)
        }
    }

    public func credentials() async throws -> AWSCredentials { try await cache.credentials() }

    public var fetchCount: Int { get async { await cache.fetchCount } }
}

/// The operator's own credentials when a job names no Secret: the environment's key pair, else web
/// identity, as the AWS SDKs look for them.
public enum AWSDefaultCredentials {
    public static func provider(
        environment env: [String: String] = ProcessInfo.processInfo.environment, connection: STSConnection = STSConnection()
    ) throws -> any AWSCredentialsProvider {
        if let fixed = StaticCredentialsProvider.environment(env) { return fixed }
        if let web = try WebIdentityCredentialsProvider.environment(env, connection: connection) { return web }
        throw DiscoveryError.noCredentials(
            "no AWS credentials: set spec.aws.credentialsSecretRef on the DiscoveryJob, or give the operator AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a web identity (AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, as EKS IRSA sets them)")
    }
}
