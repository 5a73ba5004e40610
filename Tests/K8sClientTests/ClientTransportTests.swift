import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import Testing
@testable import K8sClient

#if canImport(Glibc)
import Glibc
#endif

/// How the process-wide HTTP client is set up for the operator's request rate (README, the ratio's row).
@Suite("the client's transport")
struct ClientTransportTests {
    @Test func theProcessClientRunsOnOneEventLoopAndMakesNoSpans() {
        let http = KubeClient.sharedHTTPClient
        var loops = http.eventLoopGroup.makeIterator()
        #expect(loops.next() != nil)
        #expect(loops.next() == nil)
        #expect(http.configuration.tracing.tracer == nil)
    }

    /// Each request's deadline is a timer on the client's one loop: it still ends a request the server never answers.
    @Test(.timeLimit(.minutes(1))) func aRequestTheServerNeverAnswersFailsAtItsDeadline() async throws {
        let listener = try SilentListener()
        defer { listener.close() }
        var configuration = ClientConfiguration(server: URL(string: "http://127.0.0.1:\(listener.port)")!)
        configuration.requestTimeout = .milliseconds(300)
        configuration.retry = .none
        let client = try KubeClient(configuration: configuration)
        let error = await #expect(throws: KubeClientError.self) {
            _ = try await Api<ConfigMap>(client: client, namespace: "default").get("never-answered")
        }
        guard case .transport(_, _, let message) = error else {
            Issue.record("expected a transport error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("deadlineExceeded"))
    }
}

/// A TCP socket on loopback that listens and never accepts: the kernel completes the handshake, so a client
/// connects and sends its request, and no answer ever comes.
private struct SilentListener {
    let fd: Int32
    let port: Int

    struct Failure: Error {
        var what: String
    }

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(what: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { throw Failure(what: "bind/listen") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure(what: "getsockname") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
