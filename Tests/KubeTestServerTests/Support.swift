import AsyncHTTPClient
import Foundation
import KubeCore
import KubeTestServer
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import Testing
import VTagTestSupport

/// A raw HTTPS client for the test server: requests go out exactly as written (no Kubernetes client logic).
struct RawClient {
    let http: HTTPClient
    let base: String
    var token: String?

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: Data

        var json: JSONValue { (try? JSONValue.parseFast(body)) ?? .null }
        func header(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name.lowercased() }.map(\.1) }
    }

    /// Trusts the server's CA; presents the client certificate when `clientCert` is set.
    static func make(_ server: KubeAPITestServer, token: String? = "test-token", clientCert: Bool = false) throws -> RawClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(server.certificates.caCertPath)
        if clientCert {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(server.certificates.clientCertPath).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: server.certificates.clientKeyPath, format: .pem))
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.timeout = .init(connect: .seconds(10), read: .seconds(30))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        return RawClient(http: http, base: server.url, token: token)
    }

    func shutdown() async throws { try await http.shutdown() }

    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String = "application/json",
              headers extra: [String: String] = [:]) async throws -> Response {
        var req = HTTPClientRequest(url: base + path)
        req.method = method
        req.headers.add(name: "Accept", value: "application/json")
        req.headers.add(name: "User-Agent", value: "vtag-tests/1.0")
        if let token { req.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            req.headers.add(name: "Content-Type", value: contentType)
            req.body = .bytes(ByteBuffer(data: body))
        }
        for (k, v) in extra { req.headers.replaceOrAdd(name: k, value: v) }
        let resp = try await http.execute(req, timeout: .seconds(30))
        let bytes = try await resp.body.collect(upTo: 64 << 20)
        return Response(status: Int(resp.status.code), headers: resp.headers.map { ($0.name, $0.value) }, body: Data(buffer: bytes))
    }

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Response {
        try await send(.GET, path, headers: headers)
    }

    func post(_ path: String, _ body: JSONValue, query: String = "") async throws -> Response {
        try await send(.POST, path + query, body: body.compactData())
    }

    func put(_ path: String, _ body: JSONValue) async throws -> Response {
        try await send(.PUT, path, body: body.compactData())
    }

    func patch(_ path: String, _ body: Data, type: String) async throws -> Response {
        try await send(.PATCH, path, body: body, contentType: type)
    }

    func mergePatch(_ path: String, _ body: JSONValue) async throws -> Response {
        try await patch(path, body.compactData(), type: "application/merge-patch+json")
    }

    func delete(_ path: String, _ body: JSONValue? = nil) async throws -> Response {
        try await send(.DELETE, path, body: body?.compactData())
    }

    /// Opens a watch and collects events until `stop` says so, the server ends the stream, or `timeout` passes.
    func watch(_ path: String, timeout: Duration = .seconds(10),
               onOpen: @escaping @Sendable () async throws -> Void = {},
               stop: @escaping @Sendable ([JSONValue]) -> Bool = { _ in false }) async throws -> (status: Int, events: [JSONValue]) {
        var req = HTTPClientRequest(url: base + path)
        req.headers.add(name: "Accept", value: "application/json")
        if let token { req.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let resp = try await http.execute(req, timeout: .nanoseconds(timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000))
        let status = Int(resp.status.code)
        try await onOpen()
        var events: [JSONValue] = []
        var pending = Data()
        let deadline = ContinuousClock.now + timeout
        do {
            for try await chunk in resp.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let nl = pending.firstIndex(of: 10) {
                    let line = pending[pending.startIndex..<nl]
                    pending = Data(pending[(nl + 1)...])
                    if !line.isEmpty { events.append(try JSONValue.parseFast(Data(line))) }
                }
                if stop(events) || ContinuousClock.now > deadline { break }
            }
        } catch {
            // The stream ended by timeout or by the server dropping it: return what arrived.
            guard let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .remoteConnectionClosed else {
                if error is KubeCoreError { throw error }
                return (status, events)
            }
        }
        return (status, events)
    }
}

/// Starts a server, runs `body`, always shuts everything down.
func withServer<T>(_ options: KubeAPITestServer.Options = .init(), _ body: (KubeAPITestServer, RawClient) async throws -> T) async throws -> T {
    let server = try await KubeAPITestServer.start(options)
    let client = try RawClient.make(server)
    do {
        let r = try await body(server, client)
        try await client.shutdown()
        try await server.shutdown()
        return r
    } catch {
        try? await client.shutdown()
        try? await server.shutdown()
        throw error
    }
}

/// The throwaway CRD of the transcripts (`widgets.example.test`).
func widgetCRD() throws -> JSONValue {
    let url = try #require(Bundle.module.url(forResource: "00-crd-install", withExtension: "json", subdirectory: "Transcripts"))
    let t = try JSONValue.parseFast(Data(contentsOf: url))
    return try #require(t["steps"]?.arrayValue?.first?[path: "request", "body"])
}

let widgets = "/apis/example.test/v1/namespaces/default/widgets"
let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

/// A server with the widget CRD installed over the API.
func withWidgets<T>(_ options: KubeAPITestServer.Options = .init(), _ body: (KubeAPITestServer, RawClient) async throws -> T) async throws -> T {
    try await withServer(options) { server, client in
        let r = try await client.post(crds, try widgetCRD())
        #expect(r.status == 201)
        return try await body(server, client)
    }
}

func widget(_ name: String, size: Int64 = 1, labels: [String: String] = [:], extra: [String: JSONValue] = [:]) -> JSONValue {
    var meta: [String: JSONValue] = ["name": .string(name)]
    if !labels.isEmpty { meta["labels"] = .object(labels.mapValues(JSONValue.string)) }
    var o: JSONValue = ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": .object(meta), "spec": ["size": .int(size)]]
    for (k, v) in extra { o[k] = v }
    return o
}

extension JSONValue {
    var rv: String { self[path: "metadata", "resourceVersion"]?.stringValue ?? "" }
    var names: [String] { (self["items"]?.arrayValue ?? []).compactMap { $0[path: "metadata", "name"]?.stringValue } }
}

/// Bounded poll for what the server does asynchronously (compaction, garbage collection).
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async -> Bool {
    (try? await waitUntil(timeout: timeout, condition)) ?? false
}
