import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A connection to one Kubernetes API server: authentication, TLS, rate limiting, retries, metrics.
/// Typed access goes through `Api<T>` and `DynamicApi`; this type sends raw requests.
/// Sendable and cheap to share: make one per process and pass it around.
public final class KubeClient: Sendable {
    public let configuration: ClientConfiguration
    public let logger: Logger
    public let limiter: TokenBucket
    /// Set when the configuration asks for adaptive pacing; then `limiter` is not used.
    public let pacing: AdaptivePacing?
    let http: HTTPClient
    /// What watches go through: `sharedWatchHTTPClient`, or the client given to `init`.
    let watchHTTP: HTTPClient
    let credentials: CredentialProvider
    let metrics = RequestMetrics()
    let tlsConfiguration: TLSConfiguration?
    /// scheme://host:port
    let origin: String
    /// Path prefix of the server URL, without a trailing slash ("" usually).
    let basePath: String

    /// The process-wide HTTP client for requests: no redirects, a pool of up to 64 HTTP/1.1 connections (as
    /// many as requests in flight at once: a first discovery of 10,000 resources opened 22, its watches
    /// included). It lives as long as the process, like AsyncHTTPClient's own `shared`, so no shutdown is needed.
    ///
    /// HTTP/1.1 rather than one multiplexed HTTP/2 connection, measured: swift-nio-http2's frame decoder appends
    /// each read to its buffer, and while an answer it sliced from that buffer is still held the append copies
    /// the whole buffer (96 % of the operator's page faults on a first discovery of 10,000 resources, bursts of
    /// 8-13 MiB of such copies). Over HTTP/1.1, with the same 16 writes in flight: peak 65 MiB against 69-74,
    /// 10.4-12.3 s of CPU against 13.2-14.4 (`vtag-bench operator-ceiling`, three pairs).
    static let sharedHTTPClient = makeHTTPClient { config in config.httpVersion = .http1Only }

    /// `ClientConfiguration.http2`: requests share one HTTP/2 connection when the server offers it.
    static let sharedHTTP2Client = makeHTTPClient { _ in }

    /// Watches go over HTTP/1.1 connections of their own (with `ClientConfiguration.http2` too), whose unread bytes
    /// wait in a bounded socket buffer. On an HTTP/2 connection AsyncHTTPClient opens each stream's flow-control window to 8 MiB, so while
    /// the informers fall behind their watches (the tagger writing statuses whose echoes come back) up to 8 MiB
    /// of events per watch were read into the process, in buffers of up to twice their size: 19 MB of a 42 MB heap
    /// at its peak on a first discovery of 10,000 resources (heaptrack). Over HTTP/1.1 nothing is read before the
    /// watch asks for it.
    static let sharedWatchHTTPClient = makeHTTPClient { config in
        config.httpVersion = .http1Only
        // The kernel would grow a connection's receive buffer up to net.ipv4.tcp_rmem's maximum (32 MiB here), memory a
        // container is charged for all the same: a fixed buffer bounds it (the kernel doubles the value).
        config.http1_1ConnectionDebugInitializer = { channel in
            channel.setOption(ChannelOptions.socketOption(.so_rcvbuf), value: watchReceiveBufferBytes)
        }
    }

    private static func makeHTTPClient(_ adjust: (inout HTTPClient.Configuration) -> Void) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(10), read: nil)
        config.redirectConfiguration = .disallow
        config.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        config.decompression = .disabled
        // No spans: vtag bootstraps no tracer, and AsyncHTTPClient otherwise makes a no-op span per request and
        // fills in its attributes (the URL among them): 2 % of the operator's CPU on a first discovery.
        config.tracing.tracer = nil
        adjust(&config)
        // One event loop of NIO's shared group: an HTTP/2 connection lives on one loop anyway, and AsyncHTTPClient
        // schedules each request's deadline on `group.any()`: with the whole group, another loop, woken twice per
        // request (to arm the timer and to cancel it).
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton.next()), configuration: config)
    }

    /// A watch connection's socket receive buffer: at a round trip of 10 ms it still carries tens of MB/s of events.
    static let watchReceiveBufferBytes = 256 << 10

    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "k8sclient"), httpClient: HTTPClient? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.http = httpClient ?? (configuration.http2 ? Self.sharedHTTP2Client : Self.sharedHTTPClient)
        self.watchHTTP = httpClient ?? Self.sharedWatchHTTPClient
        self.limiter = TokenBucket(qps: configuration.qps, burst: configuration.burst)
        self.pacing = configuration.adaptivePacing.map { AdaptivePacing($0) }
        self.credentials = CredentialProvider(auth: configuration.auth, tls: configuration.tls)
        let server = configuration.server
        guard let scheme = server.scheme, let host = server.host else {
            throw KubeClientError.configuration(.init("server URL \(server) has no scheme or host"))
        }
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        self.origin = "\(scheme)://\(hostPart)" + (server.port.map { ":\($0)" } ?? "")
        var path = server.path
        while path.hasSuffix("/") { path.removeLast() }
        self.basePath = path
        if scheme == "https" {
            do { tlsConfiguration = try configuration.tls.makeTLSConfiguration() } catch {
                throw KubeClientError.configuration(.init(file: configuration.source, field: "tls", "unusable TLS material: \(error)"))
            }
        } else {
            tlsConfiguration = nil
        }
    }

    /// Loads the configuration (explicit path, KUBECONFIG, in-cluster, ~/.kube/config) and connects.
    public static func load(kubeconfigPath: String? = nil, context: String? = nil, logger: Logger = Logger(label: "k8sclient")) throws -> KubeClient {
        try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: kubeconfigPath, context: context), logger: logger)
    }

    /// The default namespace of the configuration.
    public var defaultNamespace: String { configuration.namespace }

    // MARK: - Requests

    /// One API request, before authentication and retries.
    public struct Request: Sendable {
        public var method: HTTPMethod
        /// Absolute API path, e.g. "/api/v1/namespaces/default/configmaps".
        public var path: String
        public var query: [(String, String)]
        public var body: ByteBuffer?
        public var contentType: String?
        /// Kubernetes verb for metrics and logs: get, list, watch, create, update, patch, delete.
        public var verb: String
        /// Safe to repeat after a 5xx or a lost connection.
        public var idempotent: Bool

        public init(method: HTTPMethod, path: String, query: [(String, String)] = [], body: ByteBuffer? = nil, contentType: String? = nil, verb: String, idempotent: Bool) {
            self.method = method
            self.path = path
            self.query = query
            self.body = body
            self.contentType = contentType
            self.verb = verb
            self.idempotent = idempotent
        }
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer
    }

    /// Largest body a non-watch answer may have (a list page of big objects stays far below).
    static let maxBodyBytes = 1 << 30

    func url(for request: Request) -> String {
        var url = origin + basePath + request.path
        if !request.query.isEmpty {
            url += "?" + request.query.map { "\(Self.percentEncode($0.0))=\(Self.percentEncode($0.1))" }.joined(separator: "&")
        }
        return url
    }

    /// Sends a request with rate limiting, credentials, retries; returns the 2xx answer or throws `KubeClientError`.
    public func send(_ request: Request) async throws -> Response {
        try await perform(request, deadline: configuration.requestTimeout) { response in
            let body = try await response.body.collect(upTo: Self.maxBodyBytes)
            return Response(status: Int(response.status.code), headers: response.headers, body: body)
        }
    }

    /// Opens a streaming answer (a watch): returns once the head is in with status 2xx; the body is read by the caller.
    public func stream(_ request: Request, deadline: Duration) async throws -> HTTPClientResponse {
        try await perform(request, deadline: deadline) { $0 }
    }

    private func perform<R: Sendable>(_ request: Request, deadline: Duration, onSuccess: (HTTPClientResponse) async throws -> R) async throws -> R {
        let url = url(for: request)
        let policy = configuration.retry
        var throttled = 0
        var serverErrors = 0
        var reauthenticated = false
        // A watch lasts minutes: it is not paced, and its time says nothing about the server's load.
        let pacing = request.verb == "watch" ? nil : self.pacing
        // A list's time grows with the kind's size, not with load.
        let representative = request.verb != "list"
        while true {
            if let pacing { try await pacing.acquire() } else { try await limiter.acquire() }
            let creds: CredentialProvider.Credentials
            do { creds = try await credentials.current() } catch {
                pacing?.release(.failed)
                throw error
            }
            var req = HTTPClientRequest(url: url)
            req.method = request.method
            req.headers.add(name: "User-Agent", value: configuration.userAgent)
            req.headers.add(name: "Accept", value: "application/json")
            if let auth = creds.authorization { req.headers.add(name: "Authorization", value: auth) }
            if let body = request.body {
                req.headers.add(name: "Content-Type", value: request.contentType ?? "application/json")
                req.body = .bytes(body)
            }
            req.tlsConfiguration = creds.tls ?? tlsConfiguration
            let started = ContinuousClock.now
            let response: HTTPClientResponse
            do {
                response = try await (request.verb == "watch" ? watchHTTP : http).execute(req, timeout: .nanoseconds(Int64(deadline.nanoseconds)), logger: nil)
            } catch {
                pacing?.release(.failed)
                record(request, code: "<error>", since: started)
                if error is CancellationError || Task.isCancelled { throw CancellationError() }
                if request.idempotent && serverErrors < policy.maxServerErrorRetries {
                    serverErrors += 1
                    let wait = policy.backoff(attempt: serverErrors)
                    logger.debug("retrying after transport error", metadata: ["url": "\(url)", "error": "\(error)", "attempt": "\(serverErrors)"])
                    try await Task.sleep(for: wait)
                    continue
                }
                throw KubeClientError.transport(method: request.method.rawValue, url: url, message: "\(error)")
            }
            let code = Int(response.status.code)
            record(request, code: String(code), since: started)
            for warning in response.headers["Warning"] {
                logger.warning("API server warning", metadata: ["warning": "\(warning)", "verb": "\(request.verb)", "path": "\(request.path)"])
            }
            if (200..<300).contains(code) {
                do {
                    let answer = try await onSuccess(response)
                    pacing?.release(.answered(latency: ContinuousClock.now - started, representative: representative))
                    return answer
                } catch let error as KubeClientError {
                    pacing?.release(.failed)
                    throw error
                } catch {
                    pacing?.release(.failed)
                    if error is CancellationError || Task.isCancelled { throw CancellationError() }
                    throw KubeClientError.transport(method: request.method.rawValue, url: url, message: "reading the answer: \(error)")
                }
            }
            let body = (try? await response.body.collect(upTo: 4 << 20)) ?? ByteBuffer()
            let retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }.map { Duration.seconds($0) }
            let failure = KubeClientError.from(code: code, body: Data(buffer: body), retryAfter: retryAfter)
            pacing?.release(code == 429
                ? .throttled(retryAfter: retryAfter ?? failure.status?.details?.retryAfterSeconds.map { Duration.seconds($0) })
                : .answered(latency: ContinuousClock.now - started, representative: representative))
            if code == 401 && !reauthenticated && credentials.canRefresh {
                reauthenticated = true
                await credentials.invalidate()
                logger.debug("401: refreshing credentials and retrying", metadata: ["url": "\(url)"])
                continue
            }
            if code == 429 && throttled < policy.maxThrottledRetries {
                throttled += 1
                var wait = retryAfter ?? failure.status?.details?.retryAfterSeconds.map { Duration.seconds($0) } ?? policy.backoff(attempt: throttled)
                wait = min(wait, policy.maxRetryAfter)
                logger.debug("429: waiting before retry", metadata: ["url": "\(url)", "wait": "\(wait)", "attempt": "\(throttled)"])
                try await Task.sleep(for: wait)
                continue
            }
            if code >= 500 && request.idempotent && serverErrors < policy.maxServerErrorRetries {
                serverErrors += 1
                let wait = retryAfter.map { min($0, policy.maxRetryAfter) } ?? policy.backoff(attempt: serverErrors)
                logger.debug("server error: retrying", metadata: ["url": "\(url)", "code": "\(code)", "attempt": "\(serverErrors)"])
                try await Task.sleep(for: wait)
                continue
            }
            throw failure
        }
    }

    private func record(_ request: Request, code: String, since started: ContinuousClock.Instant) {
        metrics.record(code: code, method: request.method.rawValue, verb: request.verb, nanoseconds: (ContinuousClock.now - started).nanoseconds)
    }

    static func percentEncode(_ s: String) -> String {
        // Names and namespaces are DNS labels: nothing to escape, so no copy (it ran once per path segment).
        if s.utf8.allSatisfy(isUnreserved) { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count)
        let hex: [Character] = Array("0123456789ABCDEF")
        for b in s.utf8 {
            if isUnreserved(b) {
                out.append(Character(Unicode.Scalar(b)))
            } else {
                out.append("%")
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0xF)])
            }
        }
        return out
    }

    /// RFC 3986's unreserved characters: the only bytes `percentEncode` leaves as they are.
    static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
