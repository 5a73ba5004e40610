import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
import VTagTestSupport

/// Runs the real `vtag-operator` binary against the in-process API test server: it serves probes and
/// metrics, becomes ready once its caches sync, leads through a Lease, discovers a simulated estate,
/// and on SIGTERM drains, releases the Lease and exits 0.
@Suite struct OperatorBinaryTests {
    static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    /// The operator binary: VTAG_BINARIES's (CI: the release build), else the debug build next to the tests.
    static func binary() throws -> URL {
        try #require(ShippedBinaries.path("vtag-operator"),
                     "vtag-operator not built (looked at \(ShippedBinaries.candidates("vtag-operator").map(\.path)))")
    }

    @Test func servesProbesAndMetricsLeadsAndExitsZeroOnSigterm() async throws {
        let crds = ["cloudresources", "discoveryjobs", "tagapprovals", "taggingrules"].map {
            Self.repositoryRoot.appendingPathComponent("crds/\($0).vtag.dev.yaml").path
        }
        let server = try await KubeAPITestServer.start(.init(crdFiles: crds))
        defer { Task { try? await server.shutdown() } }
        let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:]))

        let identity = "vtag-binary-test-\(UUID().uuidString.prefix(6).lowercased())"
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = [
            "--kubeconfig", server.kubeconfigPath, "--leader-elect", "--leader-election-namespace", "default",
            "--probe-address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0", "--shutdown-deadline", "10s",
            "--required-keys", "env,team",
        ]
        // Only what the binary needs: no KUBECONFIG or VTAG_* from the developer's shell.
        process.environment = ["POD_NAME": identity, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        let log = try ProcessLog.run(process)
        defer { if process.isRunning { process.terminate() } }

        let probePort = try #require(await log.waitForPort(message: "serving probes"), "no 'serving probes' line; stderr:\n\(log.text)")
        let metricsPort = try #require(await log.waitForPort(message: "serving metrics"), "no 'serving metrics' line; stderr:\n\(log.text)")
        let probes = "http://127.0.0.1:\(probePort)"
        #expect(try await get("\(probes)/healthz").status == 200)
        #expect(try await eventually { try await get("\(probes)/readyz").status == 200 }, "ready once caches sync; stderr:\n\(log.text)")

        // It leads: the Lease names it.
        let leases = Api<Lease>(client: client, namespace: "default")
        #expect(try await eventually { try await leases.getOptional("vtag-operator-leader")?.spec?.holderIdentity == identity })

        // Its controllers work: a simulated DiscoveryJob is run and its resources created.
        let jobs = Api<DiscoveryJob>(client: client, namespace: "default")
        _ = try await jobs.create(DiscoveryJob(
            metadata: ObjectMeta(name: "estate"),
            spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: 20, seed: 7, clouds: ["aws"]))))
        #expect(try await eventually { try await jobs.get("estate").status?.lastRun?.created == 20 }, "stderr:\n\(log.text)")

        // Metrics: controller-runtime's names and the vtag_* domain metrics.
        // (The run's counter moves just after its status write, so wait for it.)
        var metrics = ""
        #expect(try await eventually {
            metrics = try await get("http://127.0.0.1:\(metricsPort)/metrics").body
            return metrics.contains("vtag_discovery_runs_total{result=\"success\"} 1")
        })
        for name in [
            "controller_runtime_reconcile_total", "controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_time_seconds",
            "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds", "workqueue_work_duration_seconds",
            "workqueue_retries_total", "rest_client_requests_total", "leader_election_master_status",
            "vtag_cloud_resources", "vtag_virtual_tags", "vtag_tag_approvals", "vtag_suggestions_pending",
            "vtag_required_key_coverage_ratio", "vtag_discovery_runs_total", "vtag_discovery_run_duration_seconds",
        ] {
            #expect(metrics.contains("\n\(name)") || metrics.hasPrefix(name), "metric \(name) missing")
        }
        #expect(metrics.contains("leader_election_master_status{name=\"vtag-operator-leader\"} 1"))
        // Tags the tagger applied are counted, though its own writes reach its cache before their watch echo.
        #expect(try await eventually {
            metrics = try await get("http://127.0.0.1:\(metricsPort)/metrics").body
            return Self.sum(of: "vtag_tags_applied_total", in: metrics) > 0
        }, "no applied tag counted; metrics:\n\(metrics)")

        // SIGTERM: exits 0 (bounded wait), having released the Lease.
        kill(process.processIdentifier, SIGTERM)
        _ = try await waitUntil(timeout: .seconds(90)) { !process.isRunning }
        #expect(!process.isRunning, "still running after SIGTERM")
        #expect(process.terminationStatus == 0, "stderr:\n\(log.text)")
        #expect(log.text.contains("released the lease"))
        let holder = try await leases.get("vtag-operator-leader").spec?.holderIdentity
        #expect(holder == "" || holder == nil)
    }

    /// The sum of a metric's samples (every label set) in a Prometheus text exposition.
    static func sum(of metric: String, in exposition: String) -> Double {
        exposition.split(separator: "\n").reduce(0) { total, line in
            guard line.hasPrefix(metric + "{") || line.hasPrefix(metric + " "), let value = line.split(separator: " ").last.flatMap({ Double($0) })
            else { return total }
            return total + value
        }
    }

    /// Run outside the install manifests, on a cluster with only the CRDs: the namespace for the Lease and
    /// the model is missing. One clear error at start-up, naming the fix, instead of a retry loop.
    @Test func missingOwnNamespaceIsAClearErrorAtStartUp() async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: []))
        defer { Task { try? await server.shutdown() } }
        let run = try await Self.runWithoutItsNamespace(server)
        let process = run.process, log = run.log
        #expect(process.terminationStatus == 2, "stderr:\n\(log.text)")
        #expect(log.text.contains("namespace \\\"vtag-nowhere\\\" does not exist"), "stderr:\n\(log.text)")
        #expect(log.text.contains("--leader-election-namespace"), "stderr:\n\(log.text)")
    }

    /// The binary's requests go over HTTP/1.1 unless `--kube-api-http2` asks for the server's HTTP/2 (seen on its
    /// first request, the check of its own namespace, here missing so that it exits right after).
    @Test(arguments: [false, true])
    func requestsUseHTTP2OnlyWithTheFlag(http2: Bool) async throws {
        let server = try await KubeAPITestServer.start(.init(crdFiles: []))
        defer { Task { try? await server.shutdown() } }
        let run = try await Self.runWithoutItsNamespace(server, extra: http2 ? ["--kube-api-http2"] : [])
        let process = run.process, log = run.log
        #expect(process.terminationStatus == 2, "stderr:\n\(log.text)")
        let check = try #require(server.requests().first { $0.resource == "namespaces" }, "stderr:\n\(log.text)")
        #expect(check.httpVersion == (http2 ? "2" : "1.1"))
    }

    /// Runs the binary against `server` with its own namespace missing: it checks it first and exits (bounded wait).
    static func runWithoutItsNamespace(_ server: KubeAPITestServer, extra: [String] = []) async throws -> EndedRun {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = [
            "--kubeconfig", server.kubeconfigPath, "--leader-election-namespace", "vtag-nowhere",
            "--probe-address", "0", "--metrics-address", "0",
        ] + extra
        process.environment = ["PATH": "/usr/bin:/bin"]
        let log = try ProcessLog.run(process)
        _ = try await waitUntil(timeout: .seconds(60)) { !process.isRunning }
        if process.isRunning { process.terminate() }
        return EndedRun(process: process, log: log)
    }

    /// A binary run that ended (a named struct: async results are never tuples here).
    struct EndedRun {
        let process: Process
        let log: ProcessLog
    }

    @Test func missingKubeconfigIsAClearErrorAndExitCode() async throws {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = ["--kubeconfig", "/nonexistent/kubeconfig", "--probe-address", "0", "--metrics-address", "0"]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let log = try ProcessLog.run(process)
        _ = try await waitUntil(timeout: .seconds(60)) { !process.isRunning }
        if process.isRunning { process.terminate() }
        #expect(process.terminationStatus == 2)
        #expect(log.text.contains("/nonexistent/kubeconfig"), "stderr:\n\(log.text)")
    }
}

/// Waits (bounded, 90 s: the machine is shared) until `condition` holds.
/// A failing look (the binary not listening yet) counts as "not yet".
func eventually(timeout: Duration = .seconds(90), _ condition: () async throws -> Bool) async throws -> Bool {
    try await waitUntil(timeout: timeout, poll: .milliseconds(100)) { (try? await condition()) == true }
}
