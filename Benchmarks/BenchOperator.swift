// The shipped `vtag-operator` as a process of its own, for benchmarks: started against a kubeconfig and
// one namespace, its peak memory and CPU read from /proc, its request counts from its /metrics.
import AsyncHTTPClient
import Foundation
import VTagTestSupport

#if canImport(Glibc)
import Glibc
#endif

final class BenchOperator: @unchecked Sendable {
    // Foundation's Process is not Sendable; it is read here only for its pid, whether it runs and its status.
    let process: Process
    let log: ProcessLog
    let metricsPort: Int

    private init(process: Process, log: ProcessLog, metricsPort: Int) {
        self.process = process
        self.log = log
        self.metricsPort = metricsPort
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts the operator on `namespace` (also its home: its model ConfigMaps go there) with its own
    /// defaults plus `extra` flags, and waits (bounded) until it reports ready.
    static func start(binary: URL, kubeconfig: String, namespace: String, extra: [String]) async throws -> BenchOperator {
        let process = Process()
        process.executableURL = binary
        process.arguments = [
            "--kubeconfig", kubeconfig, "--namespace", namespace, "--leader-election-namespace", namespace,
            "--probe-address", "127.0.0.1:0", "--metrics-address", "127.0.0.1:0",
        ] + extra
        // Only what the binary needs: no KUBECONFIG or VTAG_* from the shell running the benchmark. glibc's
        // malloc settings pass through, so their effect on the operator's memory can be measured.
        let shell = ProcessInfo.processInfo.environment
        var env = ["PATH": shell["PATH"] ?? "/usr/bin:/bin"]
        for name in ["HOME", "MALLOC_ARENA_MAX", "GLIBC_TUNABLES"] { env[name] = shell[name] }
        process.environment = env
        let log = try ProcessLog.run(process)
        guard let metrics = await log.waitForPort(message: "serving metrics"),
              let probes = await log.waitForPort(message: "serving probes") else {
            let how = process.isRunning ? "within 90 s" : "before it exited"
            process.terminate()
            throw Failure(description: "vtag-operator did not serve its probes and metrics \(how):\n\(log.text.suffix(4000))")
        }
        let running = BenchOperator(process: process, log: log, metricsPort: metrics)
        let ready = try await waitUntil(timeout: .seconds(120), poll: .milliseconds(100)) {
            if !process.isRunning { return true }
            return (try? await get("http://127.0.0.1:\(probes)/readyz"))?.status == 200
        }
        guard ready, process.isRunning else {
            process.terminate()
            throw Failure(description: "vtag-operator did not become ready within 120 s:\n\(log.text.suffix(4000))")
        }
        return running
    }

    struct Usage: Sendable {
        /// Peak resident set (VmHWM), MiB.
        var peakMiB: Int
        /// Resident set now (VmRSS), MiB.
        var residentMiB: Int
        /// Of the resident set now: anonymous memory (RssAnon: heap, stacks, relocated data), MiB.
        var anonymousMiB: Int
        /// Of the resident set now: pages of mapped files (RssFile: the binary's code and the shared libraries), MiB.
        /// The kernel maps a binary's code in whole folios around each fault, so this is most of its text whether
        /// run or not (23.5 of its 31 MB once ready).
        var fileMiB: Int

        /// "36 MiB (anonymous 4, files 32)".
        var residentDescription: String { "\(residentMiB) MiB (anonymous \(anonymousMiB), files \(fileMiB))" }
        /// User + system CPU since the process started.
        var cpuSeconds: Double
    }

    /// The process's peak memory and CPU so far, from /proc.
    func usage() -> Usage {
        let pid = process.processIdentifier
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        func mebibytes(_ field: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
                  let kib = line.split(separator: " ").compactMap({ Int($0) }).first else { return 0 }
            return kib / 1024
        }
        var cpu = 0.0
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after "(comm)": state is field 3, utime 14, stime 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                cpu = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
        }
        return Usage(peakMiB: mebibytes("VmHWM:"), residentMiB: mebibytes("VmRSS:"), anonymousMiB: mebibytes("RssAnon:"),
                     fileMiB: mebibytes("RssFile:"), cpuSeconds: cpu)
    }

    /// The operator's requests to the API server so far, by HTTP method (its `rest_client_requests_total`).
    func requestCounts() async throws -> [String: Int] {
        let answer = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        var counts: [String: Int] = [:]
        for line in answer.body.split(separator: "\n") where line.hasPrefix("rest_client_requests_total{") {
            guard let labelsEnd = line.lastIndex(of: "}"), let value = Double(line[line.index(after: labelsEnd)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let labels = line[line.index(after: line.firstIndex(of: "{")!)..<labelsEnd]
            let method = labels.split(separator: ",").first { $0.hasPrefix("method=") }.map { $0.dropFirst(7).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? "?"
            counts[method, default: 0] += Int(value)
        }
        return counts
    }

    /// The value of an unlabelled counter of the operator's /metrics (e.g. `vtag_resource_evaluations_total`), nil if absent.
    func counter(_ name: String) async throws -> Int? {
        let answer = try await Self.get("http://127.0.0.1:\(metricsPort)/metrics")
        for line in answer.body.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count).trimmingCharacters(in: .whitespaces)).map { Int($0) }
        }
        return nil
    }

    /// SIGTERM, then a bounded wait; SIGKILL if it is still running. The exit status, nil if killed.
    func stop() async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let ended = (try? await waitUntil(timeout: .seconds(60), poll: .milliseconds(50)) { !self.process.isRunning }) ?? false
        if !ended {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    struct Answer: Sendable {
        var status: Int
        var body: String
    }

    static func get(_ url: String) async throws -> Answer {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: body))
    }
}

extension ProcessLog {
    /// The last lines of the log, for a failure message.
    var tail: String { text.split(separator: "\n").suffix(40).joined(separator: "\n") }
}
