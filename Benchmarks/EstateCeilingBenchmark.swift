// A first discovery against the API server's own speed (issue 16), in one run:
// 1. the shipped `vtag-operator` as a separate process (default flags unless VTAG_BENCH_OPERATOR_ARGS),
//    timed from the DiscoveryJob's creation to every resource evaluated;
// 2. the server's write ceiling for the same writes: the CloudResources the operator left, created anew and
//    their statuses written as the operator wrote them, from 16 parallel clients with no client-side limit
//    (in a fresh namespace, the operator stopped and its namespace gone);
// and prints the ratio of the two times, the operator's requests per resource and its own peak RSS.
// In-process API test server by default; the cluster of VTAG_E2E_KUBECONFIG when set (CRDs applied).
import AsyncHTTPClient
import Discovery
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import VTagTestSupport

#if canImport(Glibc)
import Glibc
#endif

enum EstateCeilingBenchmark {
    static let environment = ProcessInfo.processInfo.environment
    /// VTAG_BENCH_RESOURCES: the estate's size (default 10,000).
    static let resources = environment["VTAG_BENCH_RESOURCES"].flatMap(Int.init) ?? 10_000
    /// VTAG_BENCH_CLIENTS: parallel raw clients measuring the ceiling (default 16).
    static let clients = environment["VTAG_BENCH_CLIENTS"].flatMap(Int.init) ?? 16
    /// VTAG_BENCH_OPERATOR_ARGS: extra operator flags, e.g. "--kube-api-qps 50" (default: none).
    static let operatorArguments = (environment["VTAG_BENCH_OPERATOR_ARGS"] ?? "").split(separator: " ").map(String.init)
    /// VTAG_BENCH_OPERATOR_LOG: a file to write the operator's log to once it stopped (e.g. with
    /// VTAG_BENCH_OPERATOR_ARGS="--log-level debug", to see what filled its time).
    static let operatorLogPath = environment["VTAG_BENCH_OPERATOR_LOG"].flatMap { $0.isEmpty ? nil : $0 }
    /// VTAG_BENCH_WATCH=1: follow the evaluations with a watch of the benchmark's own also in-process (as against a
    /// cluster). By default the in-process server tells the benchmark of each stored change directly: a watch's
    /// event stream cost that server CPU in the operator's phase alone (the ceiling has no watcher), on the cores the
    /// operator runs on.
    static let followsByWatch = environment["VTAG_BENCH_WATCH"] == "1"
    /// VTAG_BENCH_CEILING_FROM=FILE: measure only the ceiling, on a fresh server, writing the CloudResources an earlier
    /// run saved with VTAG_BENCH_SAVE_RESOURCES=FILE (is the ceiling after the operator's run the same as on a fresh server?).
    /// VTAG_BENCH_TIMEOUT_SECONDS: how long the operator may take (default 2 hours).
    static let timeout = Duration.seconds(environment["VTAG_BENCH_TIMEOUT_SECONDS"].flatMap(Int.init) ?? 7200)

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let saved = environment["VTAG_BENCH_CEILING_FROM"]
        let binary = ShippedBinaries.path("vtag-operator")
        guard binary != nil || saved != nil else {
            throw Failure(description: """
                vtag-operator is not built next to vtag-bench (looked at \(ShippedBinaries.candidates("vtag-operator").map(\.path))): \
                run `swift build -c release --product vtag-operator` first
                """)
        }
        let target = try await BenchTarget.start(root: root)
        do {
            if let saved {
                try await measureCeilingOnly(target: target, savedResources: saved)
            } else if let binary {
                try await measure(target: target, binary: binary, root: root)
            }
            await target.stop()
        } catch {
            await target.stop()
            throw error
        }
    }

    static func measure(target: BenchTarget, binary: URL, root: URL) async throws {
        print("estate: \(resources) simulated resources (aws, gcp, azure); API server: \(target.description)")

        // 1. The operator, a process of its own.
        let namespace = try await target.makeNamespace("estate")
        let ruleApi = Api<TaggingRule>(client: target.client, namespace: namespace)
        for var rule in try OperatorBenchmark.benchRules(root: root) {
            rule.metadata.namespace = namespace
            _ = try await ruleApi.create(rule)
        }
        let connectionsBefore = target.server?.acceptedConnections
        let operatorProcess = try await BenchOperator.start(binary: binary, kubeconfig: target.kubeconfigPath, namespace: namespace, extra: operatorArguments)
        let phase: OperatorPhase
        do {
            let progress = EvaluationProgress()
            let watching: Task<Void, Never>?
            if let server = target.server, !followsByWatch {
                progress.observe(server, namespace: namespace)
                watching = nil
            } else {
                watching = Task { await progress.follow(Api<EvaluationProbe>(client: target.client, namespace: namespace)) }
            }
            defer { watching?.cancel() }
            try await progress.waitForList()

            let idle = operatorProcess.usage()
            let benchCPU = ProcessUsage.cpuSeconds()
            let jobs = Api<DiscoveryJob>(client: target.client, namespace: namespace)
            let start = ContinuousClock.now
            _ = try await jobs.create(DiscoveryJob(
                metadata: ObjectMeta(name: "estate"),
                spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: resources, seed: 42, clouds: ["aws", "gcp", "azure"]))))
            let deadline = start + timeout
            // When the peak was reached tells a lasting cost (the cache) from a passing one (a training).
            var peak = idle.peakMiB, peakAt = 0.0
            while progress.evaluated < resources {
                let now = operatorProcess.usage().peakMiB
                if now > peak {
                    peak = now
                    peakAt = (ContinuousClock.now - start).inSeconds
                }
                guard operatorProcess.process.isRunning else {
                    throw Failure(description: "vtag-operator exited (status \(operatorProcess.process.terminationStatus)):\n\(operatorProcess.log.tail)")
                }
                guard ContinuousClock.now < deadline else {
                    throw Failure(description: "only \(progress.evaluated) of \(resources) evaluated after \(timeout)")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            let operatorSeconds = (ContinuousClock.now - start).inSeconds
            let serverCPUForOperator = ProcessUsage.cpuSeconds() - benchCPU
            let usage = operatorProcess.usage()
            let requests = try await operatorProcess.requestCounts()
            let evaluations = try await operatorProcess.counter("vtag_resource_evaluations_total")
            let job = try await jobs.get("estate")
            let run = job.status?.lastRun
            let runSeconds = run.flatMap { r in r.finishedAt.map { $0.timeIntervalSince(r.startedAt) } }

            let flags = operatorArguments.isEmpty ? "default flags" : operatorArguments.joined(separator: " ")
            print("operator (\(flags)): job created -> all \(resources) evaluated in \(format(operatorSeconds)) s (discovery run \(format(runSeconds)) s; created \(run?.created ?? 0), errors \(run?.errors ?? 0))")
            let timeline = progress.timeline
            func at(_ instant: ContinuousClock.Instant?) -> String { format(instant.map { ($0 - start).inSeconds }) }
            func between(_ a: ContinuousClock.Instant?, _ b: ContinuousClock.Instant?) -> String {
                guard let a, let b else { return "-" }
                return format((b - a).inSeconds)
            }
            // Tagging starts before the last create when discovery outlasts the first model's wait.
            func relativeToLastCreate(_ instant: ContinuousClock.Instant?) -> String {
                guard let created = timeline.lastCreated, let instant else { return "-" }
                let seconds = (instant - created).inSeconds
                return seconds < 0 ? "\(format(-seconds)) s before the last create" : "\(format(seconds)) s after the last create"
            }
            let follower = target.server != nil && !followsByWatch ? "the server's store" : "the benchmark's watch"
            print("timeline (s after the job's creation, as \(follower) saw it): first create \(at(timeline.firstCreated)), last create \(at(timeline.lastCreated)) (creates \(between(timeline.firstCreated, timeline.lastCreated)) s); first evaluated \(at(timeline.firstEvaluated)) (\(relativeToLastCreate(timeline.firstEvaluated))), last evaluated \(at(timeline.lastEvaluated)) (status writes \(between(timeline.firstEvaluated, timeline.lastEvaluated)) s)")
            let total = requests.values.reduce(0, +)
            let byMethod = requests.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("operator requests until all evaluated: \(total), \(String(format: "%.3f", Double(total) / Double(resources))) per resource (\(byMethod))")
            if let before = connectionsBefore, let after = target.server?.acceptedConnections {
                // The operator's request pool and watches; the benchmark's own requests reuse the ceiling's idle
                // connections (and `VTAG_BENCH_WATCH=1` adds the benchmark's watch).
                print("operator connections to the API server until all evaluated: \(after - before)")
            }
            // Above 1: resources woken by the ones they inherit from, the model's catch-up, echoes reconciled.
            print("operator evaluations (inferences) until all evaluated: \(evaluations.map(String.init) ?? "-"), \(evaluations.map { String(format: "%.3f", Double($0) / Double(resources)) } ?? "-") per resource")
            // Suggestions are written once the tagger's filings pause (`ApprovalBatcher`), so most TagApproval writes
            // come after the last evaluation: count them too, once requests fall to the lease's renewals.
            var settled = requests
            let settleDeadline = ContinuousClock.now + .seconds(40)
            while ContinuousClock.now < settleDeadline {
                try await Task.sleep(for: .seconds(5))
                let now = try await operatorProcess.requestCounts()
                let quiet = now.values.reduce(0, +) - settled.values.reduce(0, +) < 5
                settled = now
                if quiet { break }
            }
            let settledTotal = settled.values.reduce(0, +)
            let settledByMethod = settled.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("with the TagApproval writes that followed (until fewer than 5 requests in 5 s): \(settledTotal), \(String(format: "%.3f", Double(settledTotal) / Double(resources))) per resource (\(settledByMethod))")
            if let tally = target.server?.requestTally() {
                let parts = tally.breakdown(namespace: namespace).prefix(12).map { "\($0.what) \($0.count)" }.joined(separator: ", ")
                print("  in the estate's namespace, as the server saw them (the benchmark's own list and watch included): \(parts)")
            }
            print("operator peak RSS (VmHWM): \(usage.peakMiB) MiB, first reached \(format(peakAt)) s after the job's creation; resident \(idle.residentDescription) when ready (empty namespace), \(usage.residentDescription) with all evaluated; CPU \(format(usage.cpuSeconds)) s (\(format(usage.cpuSeconds / operatorSeconds)) cores)")
            phase = OperatorPhase(
                seconds: operatorSeconds, serverCPU: serverCPUForOperator,
                written: try await Api<CloudResource>(client: target.client, namespace: namespace).listAll().items)
        } catch {
            _ = await operatorProcess.stop()
            try? await target.deleteNamespace(namespace)
            throw error
        }
        _ = await operatorProcess.stop()
        if let path = operatorLogPath {
            try Data(operatorProcess.log.text.utf8).write(to: URL(fileURLWithPath: path))
            print("saved the operator's log to \(path)")
        }
        if let path = environment["VTAG_BENCH_SAVE_RESOURCES"] {
            // The estate as the operator left it, one JSON object a line: `runtime-cache-memory` measures the cache on it.
            let encoder = JSONEncoder()
            var lines = Data()
            for resource in phase.written {
                lines.append(try encoder.encode(resource))
                lines.append(UInt8(ascii: "\n"))
            }
            try lines.write(to: URL(fileURLWithPath: path))
            print("saved the evaluated CloudResources to \(path)")
        }
        try await target.deleteNamespace(namespace)

        // 2. The ceiling for the same writes, in a namespace of its own.
        let ceilingSeconds = try await measureCeiling(target: target, written: phase.written)
        if target.server != nil {
            // The in-process server shares this process with the raw clients (ceiling) or the benchmark's own watch
            // (operator): what it costs per resource in each phase tells the server's share of the operator's time.
            let observer = followsByWatch ? "the benchmark's watch" : "the benchmark following the store"
            print("this process (API server, with \(observer)): CPU \(format(phase.serverCPU)) s while the operator ran")
        }
        print("ratio (ceiling time / operator time): \(String(format: "%.3f", ceilingSeconds / phase.seconds))")
    }

    /// The ceiling alone, on CloudResources saved by an earlier run (`VTAG_BENCH_SAVE_RESOURCES`): whether the ceiling
    /// measured after the operator's run differs from one on a fresh server.
    static func measureCeilingOnly(target: BenchTarget, savedResources path: String) async throws {
        let decoder = JSONDecoder()
        let written = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try decoder.decode(CloudResource.self, from: Data($0.utf8))
        }
        print("the ceiling alone, on \(written.count) CloudResources from \(path); API server: \(target.description)")
        _ = try await measureCeiling(target: target, written: written)
    }

    /// Creates `written` anew and writes their statuses as they were, with the raw clients; prints the figures and
    /// returns the time for both rounds.
    static func measureCeiling(target: BenchTarget, written: [CloudResource]) async throws -> Double {
        let statusBytes = try written.reduce(0) { $0 + (try JSONValue.from($1.status).compactString().utf8.count) }
        let ceilingNamespace = try await target.makeNamespace("ceiling")
        let ceilingCPU = ProcessUsage.cpuSeconds()
        let ceiling = try await WriteCeiling.measure(written: written, client: target.client, namespace: ceilingNamespace, clients: clients)
        let serverCPUForCeiling = ProcessUsage.cpuSeconds() - ceilingCPU
        try await target.deleteNamespace(ceilingNamespace)
        let ceilingSeconds = ceiling.creates.seconds + ceiling.statusWrites.seconds
        print("API server write ceiling for the same writes, \(clients) raw clients: \(written.count) creates in \(format(ceiling.creates.seconds)) s (\(Int(ceiling.creates.perSecond))/s), \(written.count) status writes (\(statusBytes / max(written.count, 1)) bytes of status on average, as the operator wrote them) in \(format(ceiling.statusWrites.seconds)) s (\(Int(ceiling.statusWrites.perSecond))/s): \(format(ceilingSeconds)) s for one create and one status write each")
        for failure in [ceiling.creates, ceiling.statusWrites].compactMap(\.firstFailure) { print("  raw write failed: \(failure)") }
        if target.server != nil {
            print("this process (API server, with the raw clients): CPU \(format(serverCPUForCeiling)) s for the ceiling")
        }
        return ceilingSeconds
    }

    /// What the operator's run left for the ceiling's measure.
    struct OperatorPhase {
        var seconds: Double
        var serverCPU: Double
        /// The CloudResources as the operator left them: the ceiling writes them again.
        var written: [CloudResource]
    }

    static func format(_ s: Double?) -> String { s.map { String(format: "%.1f", $0) } ?? "-" }
}

/// The API server the benchmark measures: the in-process test server, or a real cluster.
struct BenchTarget: Sendable {
    let client: KubeClient
    let kubeconfigPath: String
    let server: KubeAPITestServer?

    var description: String {
        guard server != nil else { return "the cluster of VTAG_E2E_KUBECONFIG" }
        return EstateCeilingBenchmark.environment["VTAG_BENCH_HTTP1"] == "1" ? "in-process test server, HTTP/1.1 only" : "in-process test server"
    }

    static func start(root: URL) async throws -> BenchTarget {
        let unlimited: (inout ClientConfiguration) -> Void = { c in
            c.qps = 1_000_000
            c.burst = 1_000_000
        }
        if let kubeconfig = ProcessInfo.processInfo.environment["VTAG_E2E_KUBECONFIG"], !kubeconfig.isEmpty {
            var configuration = try ClientConfiguration.load(kubeconfigPath: kubeconfig)
            unlimited(&configuration)
            let client = try KubeClient(configuration: configuration)
            let crds = DynamicApi(client: client, resource: ResourceDescriptor(
                group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", namespaced: false), namespace: nil)
            for plural in ["cloudresources", "discoveryjobs", "taggingrules", "tagapprovals"] where try await crds.getOptional("\(plural).vtag.dev") == nil {
                throw EstateCeilingBenchmark.Failure(description: "the cluster has no CRD \(plural).vtag.dev: `kubectl apply -f crds/` first")
            }
            return BenchTarget(client: client, kubeconfigPath: kubeconfig, server: nil)
        }
        let crds = ["cloudresources", "discoveryjobs", "taggingrules", "tagapprovals"].map {
            root.appendingPathComponent("crds/\($0).vtag.dev.yaml").path
        }
        var options = KubeAPITestServer.Options(crdFiles: crds, watchWindow: 500_000, namespaces: ["default"], recordRequests: false)
        // VTAG_BENCH_HTTP1=1: the server offers only HTTP/1.1 (so the raw clients and the operator speak it), to
        // tell what HTTP/2 costs on both sides.
        options.http2 = EstateCeilingBenchmark.environment["VTAG_BENCH_HTTP1"] != "1"
        let server = try await KubeAPITestServer.start(options)
        var configuration = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
        unlimited(&configuration)
        return BenchTarget(client: try KubeClient(configuration: configuration), kubeconfigPath: server.kubeconfigPath, server: server)
    }

    func stop() async {
        try? await server?.shutdown()
    }

    func makeNamespace(_ prefix: String) async throws -> String {
        let name = "bench-\(prefix)-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await Api<Namespace>.all(client).create(Namespace(name: name, labels: ["vtag.dev/bench": "true"]))
        return name
    }

    /// Deletes the namespace and waits until it is gone (its objects with it), so what follows is
    /// measured on a server not busy emptying it.
    func deleteNamespace(_ name: String) async throws {
        let namespaces = Api<Namespace>.all(client)
        _ = try await namespaces.delete(name, DeleteParams(propagationPolicy: .background))
        let gone = try await waitUntil(timeout: .seconds(1800), poll: .milliseconds(250)) { try await namespaces.getOptional(name) == nil }
        if !gone { throw EstateCeilingBenchmark.Failure(description: "namespace \(name) still there 30 minutes after its deletion") }
    }
}

/// What the benchmark's watch decodes of a CloudResource: whether the tagger evaluated it.
struct EvaluationProbe: KubernetesObject {
    static let resource = CloudResource.resource
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var status: Status?

    struct Status: Codable, Sendable {
        var evaluatedAt: String?
    }
}

/// Counts the estate's evaluated CloudResources from a watch of its namespace, and notes when the watch saw the
/// phases of a first discovery: creates (first and last), evaluations (first and last).
final class EvaluationProgress: Sendable {
    private struct State {
        var seen = Set<String>()
        var evaluated = Set<String>()
        var listed = false
        var firstSeen: ContinuousClock.Instant?
        var lastSeen: ContinuousClock.Instant?
        var firstEvaluated: ContinuousClock.Instant?
        var lastEvaluated: ContinuousClock.Instant?

        mutating func note(_ name: String, evaluated isEvaluated: Bool, at now: ContinuousClock.Instant) {
            if seen.insert(name).inserted {
                if firstSeen == nil { firstSeen = now }
                lastSeen = now
            }
            if isEvaluated, evaluated.insert(name).inserted {
                if firstEvaluated == nil { firstEvaluated = now }
                lastEvaluated = now
            }
        }
    }

    /// When the watch saw the phases, for the benchmark's timeline.
    struct Timeline: Sendable {
        var firstCreated: ContinuousClock.Instant?
        var lastCreated: ContinuousClock.Instant?
        var firstEvaluated: ContinuousClock.Instant?
        var lastEvaluated: ContinuousClock.Instant?
    }

    private let state = Locked(State())

    var evaluated: Int { state.withLock { $0.evaluated.count } }

    var timeline: Timeline {
        state.withLock { Timeline(firstCreated: $0.firstSeen, lastCreated: $0.lastSeen, firstEvaluated: $0.firstEvaluated, lastEvaluated: $0.lastEvaluated) }
    }

    func follow(_ api: Api<EvaluationProbe>) async {
        do {
            for try await event in Watcher(api: api) {
                let now = ContinuousClock.now
                state.withLock { s in
                    switch event {
                    case .restarted(let all):
                        s.seen = Set(all.compactMap(\.metadata.name))
                        s.evaluated = Set(all.filter { $0.status?.evaluatedAt != nil }.compactMap(\.metadata.name))
                        s.listed = true
                    case .applied(let object):
                        if let name = object.metadata.name { s.note(name, evaluated: object.status?.evaluatedAt != nil, at: now) }
                    case .deleted(let object):
                        if let name = object.metadata.name {
                            s.seen.remove(name)
                            s.evaluated.remove(name)
                        }
                    }
                }
            }
        } catch {}
    }

    /// Follows the in-process server's stored changes of CloudResources in `namespace` (no watch: see
    /// `EstateCeilingBenchmark.followsByWatch`). Call it before the namespace has any.
    func observe(_ server: KubeAPITestServer, namespace: String) {
        let group = CloudResource.resource.group, plural = CloudResource.resource.plural
        server.observe(group: group, plural: plural) { [state] change in
            guard change.namespace == namespace else { return }
            let now = ContinuousClock.now
            state.withLock { s in
                if change.type == "DELETED" {
                    s.seen.remove(change.name)
                    s.evaluated.remove(change.name)
                } else {
                    s.note(change.name, evaluated: (change.object[path: "status", "evaluatedAt"] ?? .null) != .null, at: now)
                }
            }
        }
        state.withLock { $0.listed = true }
    }

    func waitForList() async throws {
        let listed = try await waitUntil(timeout: .seconds(60), poll: .milliseconds(20)) { self.state.withLock { $0.listed } }
        if !listed { throw EstateCeilingBenchmark.Failure(description: "the benchmark's own watch of CloudResources did not list within 60 s") }
    }
}
