import Foundation
import KubeCore
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL

/// One HTTP request as the API layer sees it.
struct APIRequest: Sendable {
    var method: String
    var path: String
    var rawQuery: String
    var query: [String: String]
    /// Header names lower-cased.
    var headers: [String: String]
    var body: Data
    /// Common name of a verified client certificate.
    var certificateUser: String?
    /// "1.1" or "2" (as ALPN negotiated).
    var httpVersion = "1.1"
}

/// What the API layer answers: a complete response, or a watch stream it has already taken over.
enum APIAnswer: Sendable {
    case response(status: Int, headers: [(String, String)], body: [UInt8])
    case streaming
}

/// The body side of a watch: what it is given goes out in the order it was given (events are issued under the
/// cluster lock), through the channel's event loop. Like kube-apiserver's watch handler, which flushes only when
/// no further event is queued (`if len(ch) == 0 { flusher.Flush() }`), events queued while the loop was busy go
/// out as one write and one flush: one DATA frame and TLS record for many events rather than one each.
final class WatchSink: Sendable {
    let channel: any Channel
    private let timers = Locked<[@Sendable () -> Void]>([])
    private let finished = Locked(false)

    /// What is queued for the channel, in order.
    private enum Part: Sendable {
        case head
        case bytes([UInt8])
        case end
        case close
    }

    private struct Queue {
        var parts: [Part] = []
        /// A drain is scheduled on the event loop (it takes everything queued until it runs).
        var draining = false
    }

    private let queue = Locked(Queue())

    init(channel: any Channel) { self.channel = channel }

    func start() { enqueue(.head) }

    func send(_ bytes: [UInt8]) { enqueue(.bytes(bytes)) }

    private func enqueue(_ part: Part) {
        let schedule = queue.withLock { q -> Bool in
            q.parts.append(part)
            if q.draining { return false }
            q.draining = true
            return true
        }
        if schedule { channel.eventLoop.execute { self.drain() } }
    }

    /// Writes what is queued (adjacent events as one buffer), then flushes once.
    private func drain() {
        let parts = queue.withLock { q -> [Part] in
            defer {
                q.parts = []
                q.draining = false
            }
            return q.parts
        }
        let ch = channel
        var pending: ByteBuffer?
        func writePending() {
            if let buffer = pending { ch.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil) }
            pending = nil
        }
        for (i, part) in parts.enumerated() {
            switch part {
            case .head:
                var h = HTTPHeaders()
                h.add(name: "Content-Type", value: "application/json")
                h.add(name: "Transfer-Encoding", value: "chunked")
                h.add(name: "Cache-Control", value: "no-cache, private")
                ch.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: h)), promise: nil)
            case .bytes(let bytes):
                if pending == nil {
                    // Sized for this run of events at once (no regrowth while appending).
                    var size = 0
                    for next in parts[i...] {
                        guard case .bytes(let b) = next else { break }
                        size += b.count
                    }
                    pending = ch.allocator.buffer(capacity: size)
                }
                pending!.writeBytes(bytes)
            case .end:
                writePending()
                ch.write(HTTPServerResponsePart.end(nil), promise: nil)
            case .close:
                writePending()
                ch.flush()
                ch.close(promise: nil)
                return
            }
        }
        writePending()
        ch.flush()
    }

    func addTimer(cancel: @escaping @Sendable () -> Void) {
        timers.withLock { $0.append(cancel) }
    }

    private func stopTimers() -> Bool {
        let already = finished.withLock { f in
            defer { f = true }
            return f
        }
        let t = timers.withLock { t in
            defer { t = [] }
            return t
        }
        t.forEach { $0() }
        return already
    }

    /// Ends the response normally (timeoutSeconds reached).
    func finish() {
        if stopTimers() { return }
        enqueue(.end)
    }

    /// Drops the connection without ending the response (fault injection).
    func abort() {
        _ = stopTimers()
        enqueue(.close)
    }

    /// The client went away.
    func closed() { _ = stopTimers() }
}

/// Collects a request, hands it to the API layer, writes the answer.
final class APIHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let api: APIServerCore
    /// "2" on an HTTP/2 stream (one handler per stream, behind HTTP2FramePayloadToHTTP1ServerCodec).
    let httpVersion: String
    /// Where requests are answered, off the event loop (see `dispatch`).
    let workers: NIOThreadPool
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var keepAlive = true
    private var onClose: [@Sendable () -> Void] = []
    private var closed = false

    init(api: APIServerCore, httpVersion: String = "1.1", workers: NIOThreadPool) {
        self.api = api
        self.httpVersion = httpVersion
        self.workers = workers
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.clear()
            // HTTP/2 has no Connection header (NIO reads its absence as "close"): a stream ends with its answer.
            keepAlive = httpVersion == "2" || h.isKeepAlive
        case .body(var b):
            body.writeBuffer(&b)
        case .end:
            guard let h = head else { return }
            head = nil
            let (path, rawQuery) = splitURI(h.uri)
            var headers: [String: String] = [:]
            for (n, v) in h.headers { headers[n.lowercased()] = headers[n.lowercased()].map { "\($0), \(v)" } ?? v }
            var certUser: String?
            // TLS lives on the connection: an HTTP/2 stream's parent channel (an HTTP/1.1 channel's parent is
            // the listening socket).
            let connection = httpVersion == "2" ? (context.channel.parent ?? context.channel) : context.channel
            if let cert = try? connection.pipeline.syncOperations.nioSSL_peerCertificate() {
                certUser = commonName(of: cert)
            }
            let req = APIRequest(
                method: h.method.rawValue, path: path, rawQuery: rawQuery, query: parseQuery(rawQuery),
                headers: headers, body: Data(body.readableBytesView), certificateUser: certUser, httpVersion: httpVersion)
            let latency = api.faults.currentLatency()
            if latency > .zero {
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .nanoseconds(Int64(latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000))) {
                    let (me, ctx) = bound.value
                    me.dispatch(req, context: ctx)
                }
            } else {
                dispatch(req, context: context)
            }
        }
    }

    /// Answers on a worker thread, as kube-apiserver runs each request (each HTTP/2 stream) in its own
    /// goroutine: on the event loop, every stream of an HTTP/2 connection (all of an operator's requests and
    /// watches) would wait for the one before it, and an HTTP/2 client would get half the server an HTTP/1.1
    /// client with a connection per event loop gets. HTTP/1.1 keeps its order: the pipelining handler passes
    /// on a connection's next request only once this one's answer has ended.
    private func dispatch(_ req: APIRequest, context: ChannelHandlerContext) {
        let loop = context.eventLoop
        let channel = context.channel
        let api = self.api
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let registerOnClose: @Sendable (@escaping @Sendable () -> Void) -> Void = { callback in
            loop.execute {
                let me = bound.value.0
                if me.closed { callback() } else { me.onClose.append(callback) }
            }
        }
        workers.runIfActive(eventLoop: loop) {
            api.handle(req, channel: channel, onClose: registerOnClose)
        }.whenComplete { result in
            let (me, ctx) = bound.value
            switch result {
            case .success(let answer): me.write(answer, context: ctx)
            case .failure: ctx.close(promise: nil)  // the server is shutting down
            }
        }
    }

    private func write(_ answer: APIAnswer, context: ChannelHandlerContext) {
        switch answer {
        case .streaming:
            break
        case .response(let status, let headers, let bytes):
            var h = HTTPHeaders()
            h.add(name: "Content-Type", value: "application/json")
            for (n, v) in headers { h.add(name: n, value: v) }
            h.add(name: "Content-Length", value: String(bytes.count))
            if !keepAlive { h.add(name: "Connection", value: "close") }
            let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: h)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: bytes)))), promise: nil)
            let ka = keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [channel = context.channel] _ in
                if !ka { channel.close(promise: nil) }
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        onClose.forEach { $0() }
        onClose = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

func splitURI(_ uri: String) -> (String, String) {
    guard let i = uri.firstIndex(of: "?") else { return (percentDecode(uri, plusIsSpace: false), "") }
    return (percentDecode(String(uri[..<i]), plusIsSpace: false), String(uri[uri.index(after: i)...]))
}

/// Go's url.ParseQuery: `+` is a space, first value wins for repeated keys.
func parseQuery(_ q: String) -> [String: String] {
    var out: [String: String] = [:]
    for pair in q.split(separator: "&") where !pair.isEmpty {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let k = percentDecode(String(parts[0]), plusIsSpace: true)
        let v = parts.count > 1 ? percentDecode(String(parts[1]), plusIsSpace: true) : ""
        if out[k] == nil { out[k] = v }
    }
    return out
}

func percentDecode(_ s: String, plusIsSpace: Bool) -> String {
    var bytes: [UInt8] = []
    let u = Array(s.utf8)
    var i = 0
    while i < u.count {
        let c = u[i]
        if c == 37, i + 2 < u.count, let h = UInt8(String(decoding: u[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
            bytes.append(h)
            i += 3
        } else {
            bytes.append(plusIsSpace && c == 43 ? 32 : c)
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// CN of a certificate, read from NIOSSL's description (`...;common_name=cert-user;...`).
func commonName(of cert: NIOSSLCertificate) -> String? {
    let d = cert.description
    guard let r = d.range(of: ";common_name=") else { return nil }
    let rest = d[r.upperBound...]
    let end = rest.firstIndex(where: { $0 == ";" || $0 == ">" }) ?? rest.endIndex
    return String(rest[..<end])
}

/// The listening socket.
final class HTTPSListener: Sendable {
    let channel: any Channel
    let group: MultiThreadedEventLoopGroup
    let port: Int
    let workers: NIOThreadPool
    /// TCP connections accepted so far (an HTTP/2 client keeps one while nothing breaks it).
    var acceptedConnections: Int { accepted.withLock { $0 } }
    private let accepted: Locked<Int>

    init(api: APIServerCore, certificates: TestCertificates) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let workers = NIOThreadPool(numberOfThreads: max(2, System.coreCount))
        workers.start()
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.serverCertPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.serverKeyPath, format: .pem)))
        tls.certificateVerification = .optionalVerification
        tls.trustRoots = .file(certificates.caCertPath)
        // Like kube-apiserver: HTTP/2 for clients that offer it (AsyncHTTPClient, client-go), else HTTP/1.1.
        tls.applicationProtocols = api.options.http2 ? ["h2", "http/1.1"] : ["http/1.1"]
        let sslContext = try NIOSSLContext(configuration: tls)
        let accepted = Locked(0)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                accepted.withLock { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                }.flatMap {
                    channel.configureHTTP2SecureUpgrade(
                        h2ChannelConfigurator: { connection in
                            connection.configureHTTP2Pipeline(
                                mode: .server, connectionConfiguration: Self.http2Connection, streamConfiguration: Self.http2Streams,
                                inboundStreamInitializer: { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    let sync = stream.pipeline.syncOperations
                                    try sync.addHandler(HTTP2FramePayloadToHTTP1ServerCodec())
                                    try sync.addHandler(APIHTTPHandler(api: api, httpVersion: "2", workers: workers))
                                }
                            }).map { _ in }
                        },
                        http1ChannelConfigurator: { connection in
                            connection.eventLoop.makeCompletedFuture {
                                let sync = connection.pipeline.syncOperations
                                try sync.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
                                try sync.addHandler(APIHTTPHandler(api: api, httpVersion: "1.1", workers: workers))
                            }
                        })
                }
            }
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        } catch {
            try? await group.shutdownGracefully()
            try? await workers.shutdownGracefully()
            throw error
        }
        self.group = group
        self.workers = workers
        self.accepted = accepted
        port = channel.localAddress?.port ?? 0
    }

    /// HTTP/2 as kube-apiserver's Go server speaks it: at most 100 concurrent streams per connection (its
    /// setting since the rapid-reset fix, CVE-2023-44487) and no limit on how often a client resets its
    /// streams. An informer that gives up a watch resets its stream, and an operator may give up hundreds of
    /// watches in half a minute; swift-nio-http2's default (200 resets in 30 s, then GOAWAY
    /// ENHANCE_YOUR_CALM) would cut the operator's one connection and fail every request and watch on it.
    static let http2Connection: NIOHTTP2Handler.ConnectionConfiguration = {
        var c = NIOHTTP2Handler.ConnectionConfiguration()
        c.initialSettings = nioDefaultSettings.filter { $0.parameter != .maxConcurrentStreams }
            + [HTTP2Setting(parameter: .maxConcurrentStreams, value: 100)]
        return c
    }()

    static let http2Streams: NIOHTTP2Handler.StreamConfiguration = {
        var s = NIOHTTP2Handler.StreamConfiguration()
        s.streamResetFrameRateLimit.maximumCount = Int(Int32.max)
        return s
    }()

    func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
        try await workers.shutdownGracefully()
    }
}
