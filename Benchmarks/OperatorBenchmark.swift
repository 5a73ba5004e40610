// The whole operator on one estate: a DiscoveryJob of 10,000 simulated resources against the
// in-process API test server, timed from the job's creation to every resource evaluated by the
// tagger, with the process's peak memory. The test server runs in the same process (it stores every
// object as JSON and serves the watches), so the peak covers both; the operator's share is reported
// from the resident-set growth of its caches too.
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import Logging
import Reconcilers
import TaggingAPI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum OperatorBenchmark {
    /// VTAG_BENCH_RESOURCES overrides the size (e.g. a quick check in a debug build).
    static let resources = ProcessInfo.processInfo.environment["VTAG_BENCH_RESOURCES"].flatMap(Int.init) ?? 10_000
    /// VTAG_BENCH_QPS sets the client's rate limit (burst twice that), as `--kube-api-qps` does; default 50.
    static let qps = ProcessInfo.processInfo.environment["VTAG_BENCH_QPS"].flatMap(Double.init) ?? 50
    static let namespace = "bench"

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        let crds = ["cloudresources", "discoveryjobs", "taggingrules", "tagapprovals"].map {
            root.appendingPathComponent("crds/\($0).vtag.dev.yaml").path
        }
        let server = try await KubeAPITestServer.start(.init(
            crdFiles: crds, watchWindow: 500_000, namespaces: ["default", namespace], recordRequests: false))
        defer { Task { try? await server.shutdown() } }
        var configuration = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
        configuration.qps = qps
        configuration.burst = Int(qps * 2)
        let client = try KubeClient(configuration: configuration)

        let rules = try benchRules(root: root)
        let ruleApi = Api<TaggingRule>(client: client, namespace: namespace)
        for var rule in rules {
            rule.metadata.namespace = namespace
            _ = try await ruleApi.create(rule)
        }

        var logger = Logger(label: "vtag.bench")
        logger.logLevel = .error
        let settings = VTagManager.Settings(
            namespaces: [namespace],
            tagging: TaggingSettings(modelNamespace: namespace), workers: 8, identity: "bench", logger: logger)
        let manager = try VTagManager(client: client, settings: settings)
        let baseline = residentBytes()
        let running = Task { try await manager.run() }
        while !manager.hasSynced { try await Task.sleep(for: .milliseconds(20)) }

        let cpuStart = ProcessUsage.cpuSeconds()
        let start = ContinuousClock.now
        _ = try await Api<DiscoveryJob>(client: client, namespace: namespace).create(DiscoveryJob(
            metadata: ObjectMeta(name: "estate"),
            spec: DiscoveryJobSpec(provider: .simulated, simulated: .init(count: resources, seed: 42, clouds: ["aws", "gcp", "azure"]))))

        var discovered: Duration?
        var evaluated: Duration?
        let deadline = start + .seconds(3600)
        while evaluated == nil {
            guard ContinuousClock.now < deadline else { throw Failure(description: "not all evaluated within an hour") }
            try await Task.sleep(for: .milliseconds(100))
            let now = ContinuousClock.now
            if discovered == nil, manager.jobs.store.get(name: "estate", namespace: namespace)?.status?.lastRun != nil {
                discovered = now - start
            }
            let all = manager.resources.store.list()
            if all.count == resources && all.allSatisfy({ $0.status?.evaluatedAt != nil }) { evaluated = now - start }
        }
        let cpu = ProcessUsage.cpuSeconds() - cpuStart
        let inferences = manager.tagger.evaluations
        let echoes = manager.tagger.ownWrites.echoesSeen
        let snapshot = manager.collectMetrics()
        let cacheGrowth = residentBytes().map { $0 - (baseline ?? 0) }
        manager.stop()
        try await running.value

        let job = try await Api<DiscoveryJob>(client: client, namespace: namespace).get("estate")
        let seconds = evaluated.map(\.inSeconds) ?? 0
        print("operator estate: \(resources) simulated resources (aws, gcp, azure), \(rules.count) rules, 8 workers per controller, client limit \(format(qps)) requests/s")
        print("discovery run: \(format(discovered.map(\.inSeconds))) s (created \(job.status?.lastRun?.created ?? 0), errors \(job.status?.lastRun?.errors ?? 0))")
        print("job created -> all evaluated: \(format(seconds)) s (\(Int(Double(resources) / max(seconds, 1e-9))) resources/s)")
        print("process CPU meanwhile: \(format(cpu)) s (operator and the in-process API server together)")
        print("applied tags by source: \(snapshot.tagsBySource.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))")
        print("inferences per resource until all evaluated: \(String(format: "%.2f", Double(inferences) / Double(resources))) (\(inferences) for \(resources)); echoes of the tagger's own status writes not evaluated: \(echoes) (each one an inference before, so up to \(String(format: "%.2f", Double(inferences + echoes) / Double(resources))) per resource)")
        print("approvals: \(snapshot.approvalsByPhase.values.reduce(0, +)) (\(snapshot.suggestionsPending) suggestions pending)")
        print("peak memory (ru_maxrss, operator + API test server in one process): \(ProcessUsage.peakResidentMiB()) MiB")
        if let cacheGrowth { print("resident growth since the manager started: \(cacheGrowth / 1_048_576) MiB") }
    }


    /// Rules like examples/taggingrules.yaml, plus one that suggests and one that applies widely.
    static func benchRules(root: URL) throws -> [TaggingRule] {
        let text = try String(contentsOf: root.appendingPathComponent("examples/taggingrules.yaml"), encoding: .utf8)
        var rules = try YAMLDocuments.parse(text).map { try $0.decode(TaggingRule.self) }
        rules.append(TaggingRule(
            metadata: ObjectMeta(name: "application-from-name"),
            spec: TaggingRuleSpec(mode: .suggest, confidence: 0.8,
                                  match: RuleMatch(providers: ["aws"], types: ["ec2:instance"], name: NameMatch(regex: "^(?<team>[a-z]+)-(?<app>[a-z]+)-.+$")),
                                  tags: [RuleTag(key: "application", value: "${name.app}")])))
        rules.append(TaggingRule(
            metadata: ObjectMeta(name: "database-backup-policy"),
            spec: TaggingRuleSpec(match: RuleMatch(types: ["rds:db", "sql:instance"]), tags: [RuleTag(key: "backup-policy", value: "daily")])))
        return rules
    }

    static func format(_ s: Double?) -> String { s.map { String(format: "%.1f", $0) } ?? "-" }



    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
