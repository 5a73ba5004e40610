import Foundation

/// An AWS access key, with the session token and expiry of temporary credentials.
public struct AWSCredentials: Sendable, Hashable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?
    /// When temporary credentials stop working; nil for long-term keys.
    public var expiration: Date?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// Never prints the secret or the token.
    public var description: String {
        "AWSCredentials(\(accessKeyID)\(sessionToken == nil ? "" : ", temporary")\(expiration.map { ", expires \($0)" } ?? ""))"
    }
}

/// Where discovery gets credentials for each request. Implementations that fetch temporary
/// credentials cache them and refresh before expiry, so callers may ask before every request.
public protocol AWSCredentialsProvider: Sendable {
    func credentials() async throws -> AWSCredentials
}

/// Fixed credentials: handed over from a Secret, or taken from the environment.
public struct StaticCredentialsProvider: AWSCredentialsProvider {
    public let value: AWSCredentials

    public init(_ credentials: AWSCredentials) { self.value = credentials }

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.value = AWSCredentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }

    public func credentials() async throws -> AWSCredentials { value }

    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and optional `AWS_SESSION_TOKEN`; nil when the
    /// key pair is not set.
    public static func environment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> StaticCredentialsProvider? {
        guard let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty, let secret = env["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
            return nil
        }
        let token = env["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return StaticCredentialsProvider(accessKeyID: id, secretAccessKey: secret, sessionToken: token)
    }
}

/// Caches temporary credentials and fetches new ones a margin before they expire. Concurrent
/// callers during a refresh share one fetch. If a refresh fails while the old credentials are still
/// valid, the old ones are used (and the next call tries again).
public actor RefreshingCredentialsProvider: AWSCredentialsProvider {
    public typealias Fetch = @Sendable () async throws -> AWSCredentials

    private let fetch: Fetch
    private let refreshMargin: TimeInterval
    private let now: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, any Error>?
    /// How many times `fetch` ran (for logs and tests).
    public private(set) var fetchCount = 0

    /// - Parameter refreshMargin: refresh when fewer than this many seconds remain (default 5 minutes,
    ///   as the AWS SDKs do).
    public init(refreshMargin: TimeInterval = 300, now: @escaping @Sendable () -> Date = { Date() }, fetch: @escaping Fetch) {
        self.fetch = fetch
        self.refreshMargin = refreshMargin
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let current = now()
        if let c = cached, !needsRefresh(c, at: current) { return c }
        let task: Task<AWSCredentials, any Error>
        if let running = inFlight {
            task = running
        } else {
            fetchCount += 1
            let fetch = self.fetch
            task = Task { try await fetch() }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task { inFlight = nil }
            cached = fresh
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            if let c = cached, let exp = c.expiration, exp > now() { return c }
            throw error
        }
    }

    private func needsRefresh(_ c: AWSCredentials, at time: Date) -> Bool {
        guard let exp = c.expiration else { return false }
        return exp.timeIntervalSince(time) < refreshMargin
    }
}
