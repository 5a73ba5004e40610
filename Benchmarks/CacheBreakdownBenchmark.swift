// Where a cached CloudResource's bytes go: the informer store of the operator's own transform, measured
// again with one part of the resource taken out each time; the difference is what that part costs.
import Foundation
import K8sClient
import KubeCore
import Reconcilers
import TaggingAPI

enum CacheBreakdownBenchmark {
    /// One part of a CloudResource, and the resource without it.
    struct Part {
        var name: String
        var without: @Sendable (CloudResource) -> CloudResource
    }

    static let parts: [Part] = [
        Part(name: "status.history") { r in var r = r; r.status?.history = nil; return r },
        Part(name: "status.virtualTags (with their reasons)") { r in var r = r; r.status?.virtualTags = nil; return r },
        Part(name: "status.virtualTags' reasons alone") { r in
            var r = r
            let tags = r.status?.virtualTags?.map { var t = $0; t.reason = ""; return t }
            r.status?.virtualTags = tags
            return r
        },
        Part(name: "status.conditions") { r in var r = r; r.status?.conditions = nil; return r },
        Part(name: "status.missingKeys") { r in var r = r; r.status?.missingKeys = nil; return r },
        Part(name: "the whole status") { r in var r = r; r.status = nil; return r },
        Part(name: "spec.nativeTags") { r in var r = r; r.spec.nativeTags = nil; return r },
        Part(name: "spec.attributes") { r in var r = r; r.spec.attributes = nil; return r },
        Part(name: "spec.relations") { r in var r = r; r.spec.relations = nil; return r },
        Part(name: "spec.id and spec.name") { r in var r = r; r.spec.id = ""; r.spec.name = nil; return r },
        Part(name: "metadata.uid") { r in var r = r; r.metadata.uid = nil; return r },
        Part(name: "metadata.labels and ownerReferences") { r in var r = r; r.metadata.labels = nil; r.metadata.ownerReferences = nil; return r },
        Part(name: "everything but the name (what a slot, its key and an empty object cost)") { r in
            var empty = CloudResource(metadata: ObjectMeta(name: r.metadata.name, namespace: r.metadata.namespace), spec: CloudResourceSpec(provider: "", id: "", type: ""))
            empty.apiVersion = nil
            empty.kind = nil
            return empty
        },
    ]

    /// The store's indexes the operator registers (CloudResourceTagger, RuleScopeIndex), same values; it keeps no
    /// namespace index (`indexesNamespaces: false`).
    static let operatorIndexes: [String: Store<CloudResource>.IndexFunction] = [
        "provider-id": CloudResourceTagger.providerIdValues,
        "relation-target": CloudResourceTagger.relationTargetValues,
        "scope": { ["\($0.metadata.namespace ?? "")\u{0}\($0.spec.provider)\u{0}\($0.spec.type)"] },
    ]

    /// Case 0: the whole resource through the operator's transform; 1...parts.count: without one part;
    /// then packed (the operator's cache now), then packed with the operator's indexes.
    static var caseCount: Int { parts.count + 3 }

    /// VTAG_BENCH_CACHE_FILE: the saved estate (see `runtime-cache-memory`); synthetic resources without it.
    /// Each case runs in a process of its own (this executable again, VTAG_BENCH_BREAKDOWN_CASE set): in one
    /// process, the heap's holes left by an earlier case would hold part of a later one unseen.
    static func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if let chosen = environment["VTAG_BENCH_BREAKDOWN_CASE"].flatMap(Int.init) {
            print("bytes=\(try await measure(case: chosen))")
            return
        }
        print("cache breakdown: \(environment["VTAG_BENCH_CACHE_FILE"] == nil ? "10,000 synthetic CloudResources" : "the CloudResources of VTAG_BENCH_CACHE_FILE"), each case in a process of its own")
        var bytes: [Double] = []
        for i in 0..<caseCount {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["runtime-cache-breakdown"]
            process.environment = environment.merging(["VTAG_BENCH_BREAKDOWN_CASE": String(i)]) { $1 }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("bytes=") }), let value = Double(line.dropFirst(6)) else {
                throw EstateCeilingBenchmark.Failure(description: "case \(i) printed no figure: \(output)")
            }
            bytes.append(value)
        }
        let reference = bytes[0]
        print("cache breakdown: whole resource, the transform before packing: \(Int(reference)) bytes/object")
        for (i, part) in parts.enumerated() { print("cache breakdown: \(part.name): \(Int(reference - bytes[i + 1])) bytes/object") }
        let packed = bytes[parts.count + 1], indexed = bytes[parts.count + 2]
        print("cache breakdown: packed (the operator's cache now: spec, metadata and status packed, the shared table included; no namespace index): \(Int(packed)) bytes/object")
        print("cache breakdown: the operator's three indexes on top (provider id, relation target, scope): \(Int(indexed - packed)) bytes/object")
    }

    static func measure(case i: Int) async throws -> Double {
        let saved = try ProcessInfo.processInfo.environment["VTAG_BENCH_CACHE_FILE"].map { path in
            try Data(contentsOf: URL(fileURLWithPath: path)).split(separator: UInt8(ascii: "\n")).map { Data($0) }
        }
        let n = saved?.count ?? 10_000
        let decoder = JSONDecoder()
        let object: (Int) throws -> CloudResource = { i in try saved.map { try decoder.decode(CloudResource.self, from: $0[i]) } ?? benchCloudResource(i) }
        let transform = CloudResourceCacheTransform.make()
        switch i {
        case 0:
            return try await measure(n: n, object: object, transform: transform)
        case 1...parts.count:
            let without = parts[i - 1].without
            return try await measure(n: n, object: object) { transform(without($0)) }
        case parts.count + 1:
            return try await measure(n: n, object: object, transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make())
        default:
            return try await measure(
                n: n, object: object, transform: CloudResourceCacheTransform.beforePacking(), packing: CloudResourcePacking.make(), indexes: operatorIndexes)
        }
    }

    /// Resident bytes per object of a store holding `n` objects, each decoded on its own, through `transform`.
    static func measure(
        n: Int, object: (Int) throws -> CloudResource, transform: @escaping Store<CloudResource>.Transform,
        packing: Store<CloudResource>.Packing? = nil, indexes: [String: Store<CloudResource>.IndexFunction] = [:]
    ) async throws -> Double {
        guard let before = residentBytesAfterTrim() else { throw EstateCeilingBenchmark.Failure(description: "/proc/self/statm unavailable") }
        // Packed, as the operator keeps it: no namespace index.
        let store = Store(transform: transform, packing: packing, indexes: indexes, indexesNamespaces: packing == nil)
        let informer = Informer<CloudResource>(store: store) { AsyncThrowingStream { $0.finish() } }
        await informer.handle(.restarted([]))
        for i in 0..<n { await informer.handle(.applied(try object(i))) }
        let after = residentBytesAfterTrim() ?? before
        withExtendedLifetime(informer) {}
        return Double(after - before) / Double(n)
    }
}
