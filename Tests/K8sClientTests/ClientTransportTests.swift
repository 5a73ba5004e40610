import AsyncHTTPClient
import Foundation
import KubeCore
import NIOCore
import Testing
import VTagTestSupport
@testable import K8sClient

#if canImport(Glibc)
import Glibc
#endif

/// How the process-wide HTTP client is set up for the operator's request rate (docs/PERFORMANCE-HISTORY.md, the write ceiling).
@Suite("the client's transport")
struct ClientTransportTests {
    @Test func theProcessClientRunsOnOneEventLoopAndMakesNoSpans() {
        let http = KubeClient.sharedHTTPClient
        var loops = http.eventLoopGroup.makeIterator()
        #expect(loops.next() != nil)
        #expect(loops.next() == nil)
        #expect(http.tracer == nil)
    }

    /// Each request's deadline is a timer on the client's one loop: it still ends a request the server never answers.
    @Test(.timeLimit(.minutes(1))) func aRequestTheServerNeverAnswersFailsAtItsDeadline() async throws {
        let listener = try Loopback.silentListener()
        defer { close(listener.fd) }
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
