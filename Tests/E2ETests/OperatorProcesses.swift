// The shipped binaries as separate processes: `vtag-operator` replicas and `kubectl-vtag` commands,
// from VTAG_BINARIES (CI: .build/release) or the debug build next to the tests.
import KubeCore
import Foundation
import K8sClient
import Testing
import VTagTestSupport

/// `vtag-operator` processes of one test, each a replica with its own identity, leading through the
/// Lease `vtag-operator-leader` in the test's namespace and watching only that namespace.
final class OperatorProcesses: Sendable {
    let env: E2EEnvironment
    let namespace: String
    /// The replicas' credentials (the operator's) and kubectl-vtag's (the approver's).
    let identities: E2EIdentities
    private let started = Locked<[RunningOperator]>([])

    init(env: E2EEnvironment, namespace: String, identities: E2EIdentities) {
        self.env = env
        self.namespace = namespace
        self.identities = identities
    }

    static let leaseName = "vtag-operator-leader"

    /// Starts a replica named `vtag-<label>` and waits (bounded) until it holds the Lease.
    func startLeading(_ label: String) async throws -> RunningOperator {
        let binary = try #require(ShippedBinaries.path("vtag-operator"),
                                  "vtag-operator not built (looked at \(ShippedBinaries.candidates("vtag-operator").map(\.path)))")
        let identity = "vtag-\(label)"
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "--kubeconfig", identities.operatorKubeconfigPath, "--namespace", namespace,
            "--leader-elect", "--leader-election-namespace", namespace,
            "--probe-address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0", "--shutdown-deadline", "20s",
        ]
        process.environment = Self.childEnvironment(["POD_NAME": identity])
        let running = RunningOperator(identity: identity, process: process, log: try ProcessLog.run(process))
        started.withLock { $0.append(running) }
        let leases = Api<Lease>(client: env.client, namespace: namespace)
        // A replica after a kill -9 waits for the old Lease to expire (15 s by default).
        let leads = try await waitUntil(timeout: .seconds(120), poll: .milliseconds(200)) {
            guard running.process.isRunning else { return true }
            return (try? await leases.getOptional(Self.leaseName))??.spec?.holderIdentity == identity
        }
        try #require(leads && running.process.isRunning, "\(identity) from \(ShippedBinaries.origin) did not lead:\n\(running.log.tail)")
        return running
    }

    /// Runs `kubectl-vtag ARGS --kubeconfig ... -n NS` as the approver, to its end (bounded): its exit status
    /// and output.
    func kubectlVtag(_ arguments: [String]) async throws -> CommandResult {
        let binary = try #require(ShippedBinaries.path("kubectl-vtag"),
                                  "kubectl-vtag not built (looked at \(ShippedBinaries.candidates("kubectl-vtag").map(\.path)))")
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments + ["--kubeconfig", identities.approverKubeconfigPath, "-n", namespace]
        process.environment = Self.childEnvironment([:])
        let log = try ProcessLog.run(process, stdout: true)
        let ended = try await waitUntil(timeout: .seconds(120), poll: .milliseconds(50)) { !process.isRunning }
        if !ended { process.terminate() }
        try #require(ended, "kubectl-vtag \(arguments.joined(separator: " ")) still running after 120 s:\n\(log.text)")
        return CommandResult(status: process.terminationStatus, output: log.text)
    }

    /// Whatever is still running when the test ends is killed.
    func killAll() {
        for running in started.withLock({ $0 }) where running.process.isRunning { kill(running.process.processIdentifier, SIGKILL) }
    }

    /// Only what the binaries need: no KUBECONFIG or VTAG_* from the developer's shell (HOME for a
    /// real cluster's kubeconfig, whose exec plugins may look there).
    static func childEnvironment(_ extra: [String: String]) -> [String: String] {
        let parent = ProcessInfo.processInfo.environment
        var env = ["PATH": parent["PATH"] ?? "/usr/bin:/bin"]
        if let home = parent["HOME"] { env["HOME"] = home }
        // VTAG_E2E_HTTP2=1: the operator's requests over one HTTP/2 connection (`--kube-api-http2`).
        if parent["VTAG_E2E_HTTP2"] == "1" { env["VTAG_KUBE_API_HTTP2"] = "true" }
        return env.merging(extra) { _, new in new }
    }
}

/// One `vtag-operator` process. (Foundation's Process is not Sendable; it is read here only for its
/// pid, `isRunning` and `terminationStatus`.)
final class RunningOperator: @unchecked Sendable {
    let identity: String
    let process: Process
    let log: ProcessLog

    init(identity: String, process: Process, log: ProcessLog) {
        self.identity = identity
        self.process = process
        self.log = log
    }

    /// SIGTERM, then a bounded wait for the exit: its status (nil if it is still running).
    func terminate() async throws -> Int32? {
        kill(process.processIdentifier, SIGTERM)
        _ = try await waitUntil(timeout: .seconds(90), poll: .milliseconds(50)) { !process.isRunning }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// SIGKILL, as a node failure or an OOM kill does it: no drain, no lease release.
    func killNow() async throws {
        kill(process.processIdentifier, SIGKILL)
        _ = try await waitUntil(timeout: .seconds(30), poll: .milliseconds(20)) { !process.isRunning }
    }
}

struct CommandResult: Sendable {
    let status: Int32
    let output: String
}

extension ProcessLog {
    /// The last lines of the log, for a failure message.
    var tail: String { text.split(separator: "\n").suffix(40).joined(separator: "\n") }
}
