import AsyncHTTPClient
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import NIOSSL
import Testing

/// The server speaks HTTP/2 to clients that negotiate it (ALPN h2), HTTP/1.1 to the others, like a real API
/// server: AsyncHTTPClient takes the HTTP/2 path, every request and watch sharing one connection (K8sClient
/// does for its requests when `ClientConfiguration.http2` asks). `http2: false` keeps a server to HTTP/1.1.
@Suite("HTTP/2")
struct HTTP2Tests {
    /// The default: HTTP/2 offered.
    static let options = KubeAPITestServer.Options()

    @Test func asyncHTTPClientNegotiatesHTTP2() async throws {
        try await withWidgets(Self.options) { (server, c) async throws -> Void in
            server.clearRequests()
            #expect(try await c.get(widgets).status == 200)
            #expect(server.requests().last?.httpVersion == "2")
        }
    }

    @Test func http1OnlyClientsStillWork() async throws {
        try await withWidgets(Self.options) { (server, _) async throws -> Void in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(server.certificates.caCertPath)
            var config = HTTPClient.Configuration(tlsConfiguration: tls)
            config.httpVersion = .http1Only
            let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
            let c = RawClient(http: http, base: server.url, token: "test-token")
            server.clearRequests()
            #expect(try await c.post(widgets, widget("h1")).status == 201)
            #expect(try await c.get("\(widgets)/h1").status == 200)
            #expect(server.requests().map(\.httpVersion) == ["1.1", "1.1"])
            try await http.shutdown()
        }
    }

    /// `http2: false` keeps the server to HTTP/1.1, which K8sClient then speaks (requests and watches).
    @Test func http2OffServesHTTP1Only() async throws {
        var options = KubeAPITestServer.Options()
        options.http2 = false
        try await withWidgets(options) { (server, c) async throws -> Void in
            let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:]))
            server.clearRequests()
            _ = try await Api<ConfigMap>(client: client, namespace: "default").listAll()
            let w = try await c.watch("\(widgets)?watch=1&timeoutSeconds=1")
            #expect(w.status == 200)
            #expect(server.requests().map(\.httpVersion) == ["1.1", "1.1"])
        }
    }

    @Test func concurrentWatchesShareTheHTTP2Connection() async throws {
        try await withWidgets(Self.options) { (server, c) async throws -> Void in
            // Several open watch streams and writes on the same connection, as an operator's informers do.
            let events = try await withThrowingTaskGroup(of: WatchCount.self) { group in
                for i in 0..<4 {
                    group.addTask {
                        let w = try await c.watch("\(widgets)?watch=1&labelSelector=n%3D\(i)&timeoutSeconds=120", stop: { $0.count >= 1 })
                        return WatchCount(index: i, events: w.events.count)
                    }
                }
                let open = await eventually { server.requests().filter { $0.verb == "watch" }.count == 4 }
                #expect(open)
                for i in 0..<4 {
                    #expect(try await c.post(widgets, widget("w\(i)", labels: ["n": "\(i)"])).status == 201)
                }
                var out: [WatchCount] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(events.sorted { $0.index < $1.index }.map(\.events) == [1, 1, 1, 1])
            #expect(server.requests().filter { $0.verb == "watch" }.allSatisfy { $0.httpVersion == "2" })
        }
    }

    /// An operator sends thousands of requests over its one HTTP/2 connection: every answer arrives whole and
    /// the connection is never torn down (a stream the server resets after answering, or any other stream
    /// error, counts against the client's limit of glitches, and the 200th closes the connection).
    @Test func manyRequestsShareOneHTTP2ConnectionUntilTheEnd() async throws {
        try await withWidgets(Self.options) { (server, c) async throws -> Void in
            for i in 0..<300 {
                #expect(try await c.post(widgets, widget("r\(i)")).status == 201)
                #expect(try await c.get("\(widgets)/r\(i)").status == 200)
            }
            #expect(server.requests().filter { $0.verb == "create" && $0.resource == "widgets" && $0.responseStatus == 201 }.count == 300)
            #expect(server.acceptedConnections == 1, "the client had to reconnect")
        }
    }

    /// Answers and watch streams larger than HTTP/2's initial flow-control window (64 KiB) arrive complete:
    /// the server sends on as the client opens the window.
    @Test func answersAndWatchesLargerThanTheFlowControlWindowArriveWhole() async throws {
        try await withWidgets(Self.options) { (server, c) async throws -> Void in
            let padding = String(repeating: "x", count: 8 * 1024)
            let count = 40  // 40 x 8 KiB: five windows' worth
            let watched = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    // The server may end the watch only after every create (a loaded machine makes 40 creates slow).
                    try await c.watch("\(widgets)?watch=1&timeoutSeconds=600", timeout: .seconds(600), stop: { $0.count >= count }).events.count
                }
                let open = await eventually { server.requests().contains { $0.verb == "watch" } }
                #expect(open)
                for i in 0..<count {
                    let w = widget("big\(i)", extra: ["metadata": ["name": .string("big\(i)"), "annotations": ["pad": .string(padding)]]])
                    #expect(try await c.post(widgets, w).status == 201)
                }
                return try await group.next() ?? 0
            }
            #expect(watched == count)
            let list = try await c.get(widgets)
            #expect(list.status == 200 && list.json.names.count == count && list.body.count > count * padding.count)
            #expect(server.acceptedConnections == 1)
        }
    }

    /// A client that gives up a watch resets its stream: the server forgets the watch, and the connection
    /// carries on (more cancelled watches than the connection's stream limit and the glitch limit).
    @Test func cancelledWatchesEndOnTheServerAndTheConnectionCarriesOn() async throws {
        try await withWidgets(Self.options) { (server, c) async throws -> Void in
            #expect(try await c.post(widgets, widget("seen")).status == 201)
            for i in 0..<250 {
                let w = try await c.watch("\(widgets)?watch=1", stop: { $0.count >= 1 })
                #expect(w.events.count == 1, "watch \(i)")
            }
            #expect(await eventually { server.openWatches == 0 }, "watches still open on the server: \(server.openWatches)")
            #expect(try await c.post(widgets, widget("after")).status == 201)
            #expect(server.acceptedConnections == 1, "the client had to reconnect")
        }
    }

    /// K8sClient sends requests over HTTP/1.1 connections unless asked for HTTP/2 (`ClientConfiguration.http2`,
    /// the operator's `--kube-api-http2`), with which they share the server's HTTP/2 connection.
    @Test(arguments: [false, true])
    func k8sClientUsesHTTP2WhenAskedTo(http2: Bool) async throws {
        try await withWidgets(Self.options) { (server, _) async throws -> Void in
            var configuration = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            configuration.http2 = http2
            let client = try KubeClient(configuration: configuration)
            server.clearRequests()
            let api = Api<ConfigMap>(client: client, namespace: "default")
            _ = try await api.listAll()
            _ = try await api.listAll()
            #expect(server.requests().map(\.httpVersion) == (http2 ? ["2", "2"] : ["1.1", "1.1"]))
        }
    }
}

/// A watch's event count (a named struct: task-group results are never tuples here).
struct WatchCount: Sendable {
    var index: Int
    var events: Int
}
