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

    /// VTAG_BENCH_CACHE_FILE: the saved estate (see `runtime-cache-memory`); synthetic resources without it.
    static func run() async throws {
        let saved = try ProcessInfo.processInfo.environment["VTAG_BENCH_CACHE_FILE"].map { path in
            try Data(contentsOf: URL(fileURLWithPath: path)).split(separator: UInt8(ascii: "\n")).map { Data($0) }
        }
        let n = saved?.count ?? 10_000
        let decoder = JSONDecoder()
        let object: (Int) throws -> CloudResource = { i in try saved.map { try decoder.decode(CloudResource.self, from: $0[i]) } ?? benchCloudResource(i) }
        print("cache breakdown: \(n) \(saved == nil ? "synthetic CloudResources" : "CloudResources of VTAG_BENCH_CACHE_FILE"), the operator's cache transform")
        let reference = try await measure(n: n, object: object, transform: CloudResourceCacheTransform.make())
        print("cache breakdown: whole resource \(Int(reference)) bytes/object")
        for part in parts {
            let operatorTransform = CloudResourceCacheTransform.make()
            let without = part.without
            let bytes = try await measure(n: n, object: object) { operatorTransform(without($0)) }
            print("cache breakdown: \(part.name): \(Int(reference - bytes)) bytes/object")
        }
    }

    /// Resident bytes per object of a store holding `n` objects, each decoded on its own, through `transform`.
    static func measure(n: Int, object: (Int) throws -> CloudResource, transform: @escaping Store<CloudResource>.Transform) async throws -> Double {
        guard let before = residentBytesAfterTrim() else { throw EstateCeilingBenchmark.Failure(description: "/proc/self/statm unavailable") }
        let informer = Informer<CloudResource>(store: Store(transform: transform)) { AsyncThrowingStream { $0.finish() } }
        await informer.handle(.restarted([]))
        for i in 0..<n { await informer.handle(.applied(try object(i))) }
        let after = residentBytesAfterTrim() ?? before
        withExtendedLifetime(informer) {}
        return Double(after - before) / Double(n)
    }
}
