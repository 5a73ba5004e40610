// The operator's periodic gauge scan (`DomainMetrics.collect`) over a packed CloudResource cache, against the
// scan it replaced (every cached resource unpacked, under the cache's lock), in the same run.
import Foundation
import K8sClient
import Reconcilers
import TaggingAPI

enum GaugeScanBenchmark {
    /// VTAG_BENCH_RESOURCES: cached resources (default 100,000).
    static let resources = ProcessInfo.processInfo.environment["VTAG_BENCH_RESOURCES"].flatMap(Int.init) ?? 100_000
    static let rounds = 5

    static func run() async throws {
        let store = Store<CloudResource>(transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make(), indexesNamespaces: false)
        let informer = Informer<CloudResource>(store: store) { AsyncThrowingStream { $0.finish() } }
        await informer.handle(.restarted([]))
        for i in 0..<resources { await informer.handle(.applied(benchCloudResource(i))) }
        let metrics = DomainMetrics(requiredKeys: ["vkey-0", "cost-center", "owner"])
        let (rules, approvals, jobs) = (Store<TaggingRule>(), Store<TagApproval>(), Store<DiscoveryJob>())

        var unpacking: [Double] = [], packed: [Double] = []
        var evaluated = (0, 0)
        for _ in 0..<rounds {
            var start = ProcessUsage.cpuSeconds()
            evaluated.0 = unpackingScan(store, requiredKeys: ["vkey-0", "cost-center", "owner"])
            unpacking.append(ProcessUsage.cpuSeconds() - start)
            start = ProcessUsage.cpuSeconds()
            evaluated.1 = metrics.collect(resources: store, approvals: approvals, rules: rules, jobs: jobs, modelVersion: nil).evaluated
            packed.append(ProcessUsage.cpuSeconds() - start)
        }
        guard evaluated.0 == evaluated.1, evaluated.0 == resources else {
            throw EstateCeilingBenchmark.Failure(description: "the scans disagree: \(evaluated.0) and \(evaluated.1) evaluated of \(resources)")
        }
        let old = unpacking.sorted()[rounds / 2], new = packed.sorted()[rounds / 2]
        print("gauge scan of \(resources) packed CloudResources, median of \(rounds) (CPU): unpacking each \(ms(old)) ms (\(us(old)) us per resource), read off the packed bytes \(ms(new)) ms (\(us(new)) us per resource): \(String(format: "%.1f", old / max(new, 1e-9)))x less")
        withExtendedLifetime(informer) {}
    }

    /// What `DomainMetrics.collect` did with the resources before session 11: unpack each one.
    static func unpackingScan(_ store: Store<CloudResource>, requiredKeys: [String]) -> Int {
        var evaluated = 0, compliant = 0, active = 0
        var covered: [String: Int] = [:], bySource: [TagSource: Int] = [:]
        store.forEach { r in
            let phase = r.status?.phase ?? .active
            if phase == .active { active += 1 }
            guard let status = r.status else { return }
            if status.evaluatedAt != nil {
                evaluated += 1
                if status.missingKeys?.isEmpty ?? true { compliant += 1 }
            }
            for tag in status.virtualTags ?? [] { bySource[tag.source, default: 0] += 1 }
            guard phase == .active, let tags = status.virtualTags, !tags.isEmpty else { return }
            for key in requiredKeys where tags.contains(where: { $0.key == key }) { covered[key, default: 0] += 1 }
        }
        return evaluated
    }

    static func ms(_ s: Double) -> String { String(format: "%.0f", s * 1000) }
    static func us(_ s: Double) -> String { String(format: "%.1f", s * 1e6 / Double(resources)) }
}
