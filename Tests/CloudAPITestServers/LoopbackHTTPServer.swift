import Foundation
import Hummingbird
import Logging
import NIOCore

/// A request as the cloud API test servers see it.
public struct HTTPExchange: Sendable {
    public var method: String
    public var path: String
    /// Query parameters in order, decoded; repeated names repeat.
    public var query: [(String, String)]
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: Data

    public func queryValue(_ name: String) -> String? { query.first { $0.0 == name }?.1 }
    public func queryValues(_ name: String) -> [String] { query.filter { $0.0 == name }.map(\.1) }

    /// An `application/x-www-form-urlencoded` body's fields.
    public var form: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in Self.decodePairs(String(decoding: body, as: UTF8.self)) { out[k] = v }
        return out
    }

    static func decodePairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

/// An answer of a cloud API test server.
public struct HTTPReply: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: Data

    public init(status: Int, headers: [(String, String)] = [], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer (keys sorted, so answers are stable).
    public static func json(_ status: Int, _ object: Any, headers: [(String, String)] = []) -> HTTPReply {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return HTTPReply(status: status, headers: [("Content-Type", "application/json; charset=UTF-8")] + headers, body: data)
    }
}

/// A plain-HTTP server on 127.0.0.1 (a free port) that hands every request to `handler`; the cloud API
/// test servers put their wire formats behind it.
public final class LoopbackHTTPServer: Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private let task: Task<Void, any Error>

    private init(port: Int, task: Task<Void, any Error>) {
        self.port = port
        self.task = task
    }

    deinit { task.cancel() }

    public func stop() { task.cancel() }

    public static func start(_ handler: @escaping @Sendable (HTTPExchange) async -> HTTPReply) async throws -> LoopbackHTTPServer {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let buffer = try await request.collectBody(upTo: 16 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let exchange = HTTPExchange(
                method: request.method.rawValue, path: request.uri.path,
                query: request.uri.query.map { HTTPExchange.decodePairs($0) } ?? [], headers: headers,
                body: Data(buffer: buffer))
            let reply = await handler(exchange)
            var fields = HTTPFields()
            for (name, value) in reply.headers {
                if let field = HTTPFields.Element.Name(name) { fields.append(HTTPFields.Element(name: field, value: value)) }
            }
            return Response(
                status: HTTPResponse.Status(code: reply.status), headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "vtag.test.cloud-api")
        logger.logLevel = .critical
        let app = Application(
            responder: responder, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "vtag-cloud-api-test"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            }, logger: logger)
        let task = Task {
            // A server that cannot bind ends here; finishing the stream stops the wait below.
            defer { portSink.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            task.cancel()
            throw ServerDidNotStart()
        }
        return LoopbackHTTPServer(port: port, task: task)
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        var description: String { "the cloud API test server did not start listening on 127.0.0.1" }
    }
}
