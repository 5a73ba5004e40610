import AsyncHTTPClient
import Foundation
import KubeCore
import Logging
import Prometheus
import Testing

@testable import Operator

@Suite struct ProbeServerTests {
    @Test func readinessFollowsTheGateAndMetricsAreServed() async throws {
        let gate = ReadinessGate(checks: ["informer/cloudresources"])
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(descriptor: .init(metricName: "vtag_test_total")).increment(by: Int64(3))
        let ports = PortBox()
        var quiet = Logger(label: "test")
        quiet.logLevel = .critical
        let probes = ProbeServers.probes(address: .init(host: "127.0.0.1", port: 0), readiness: gate, logger: quiet) {
            await ports.set("probes", $0)
        }
        let metrics = ProbeServers.metrics(address: .init(host: "127.0.0.1", port: 0), registry: registry, logger: quiet) {
            await ports.set("metrics", $0)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await probes.runService() }
            group.addTask { try await metrics.runService() }
            let probePort = try await ports.wait("probes")
            let metricsPort = try await ports.wait("metrics")
            let base = "http://127.0.0.1:\(probePort)"

            #expect(try await get("\(base)/healthz").status == 200)
            #expect(try await get("\(base)/health").status == 200)
            let notReady = try await get("\(base)/readyz")
            #expect(notReady.status == 503)
            #expect(notReady.body.contains("informer/cloudresources"))
            #expect(try await get("\(base)/readiness").status == 503)

            gate.markReady("informer/cloudresources")
            #expect(try await get("\(base)/readyz").status == 200)
            #expect(try await get("\(base)/readiness").status == 200)

            gate.beginShutdown()
            #expect(try await get("\(base)/readyz").status == 503)

            let m = try await get("http://127.0.0.1:\(metricsPort)/metrics")
            #expect(m.status == 200)
            #expect(m.body.contains("vtag_test_total 3"))
            group.cancelAll()
        }
    }
}

@Suite struct JSONLogHandlerTests {
    @Test func writesOneJSONObjectPerLineWithMetadata() throws {
        let lines = LineSink()
        var handler = JSONLogHandler(label: "vtag.test", level: .info, write: { lines.append($0) })
        handler[metadataKey: "controller"] = "tagging"
        let logger = Logger(label: "vtag.test", factory: { _ in handler })
        logger.debug("hidden")
        logger.info("reconciled", metadata: ["name": "aws-i-1", "attempt": "2"])
        logger.error("failed")
        let out = lines.all
        #expect(out.count == 2)
        let first = try JSONValue.parse(Data(out[0].utf8))
        #expect(first["msg"]?.stringValue == "reconciled")
        #expect(first["level"]?.stringValue == "info")
        #expect(first["logger"]?.stringValue == "vtag.test")
        #expect(first["controller"]?.stringValue == "tagging")
        #expect(first["name"]?.stringValue == "aws-i-1")
        #expect(KubeTime.parse(first["ts"]?.stringValue ?? "") != nil)
        let second = try JSONValue.parse(Data(out[1].utf8))
        #expect(second["caller"]?.stringValue?.hasPrefix("OperatorProcessTests.swift:") == true)
    }
}

struct HTTPAnswer {
    var status: Int
    var body: String
}

func get(_ url: String) async throws -> HTTPAnswer {
    let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
    let body = try await response.body.collect(upTo: 1 << 20)
    return HTTPAnswer(status: Int(response.status.code), body: String(buffer: body))
}

actor PortBox {
    var ports: [String: Int] = [:]
    func set(_ name: String, _ port: Int) { ports[name] = port }
    func wait(_ name: String) async throws -> Int {
        for _ in 0..<200 {
            if let p = ports[name] { return p }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw CancellationError()
    }
}

final class LineSink: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.withLock { lines.append(s) } }
    var all: [String] { lock.withLock { lines } }
}
