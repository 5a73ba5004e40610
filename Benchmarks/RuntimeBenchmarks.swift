// Benchmarks of the controller runtime: cache memory per object, queue throughput.
import Foundation
import K8sClient
import KubeCore
import Synchronization
import Reconcilers
import TaggingAPI

/// Resident memory of this process in bytes, from /proc/self/statm (Linux), after glibc's
/// malloc_trim(0) has handed freed memory back to the kernel (so an earlier case's freed objects
/// do not hide a later case's growth). Nil elsewhere. (glibc's mallinfo2 is not visible to Swift's
/// Glibc module, so the resident-set delta is the measure.)
func residentBytesAfterTrim() -> Int? {
    typealias MallocTrim = @convention(c) (Int) -> Int32
    if let sym = dlsym(nil, "malloc_trim") {  // nil = RTLD_DEFAULT on glibc
        _ = unsafeBitCast(sym, to: MallocTrim.self)(0)
    }
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// A CloudResource shaped like discovery writes them: labels, a last-applied annotation, 8 native
/// tags, 6 attributes, 3 relations, and a status with 6 virtual tags, 10 history entries, 2 conditions.
func benchCloudResource(_ i: Int) -> CloudResource {
    let id = "arn:aws:ec2:eu-west-1:123456789012:instance/i-\(String(i, radix: 16).leftPadded(17))"
    var tags: [String: String] = [:]
    for k in ["Name", "team", "env", "cost-center", "owner", "app", "component", "created-by"] { tags[k] = "\(k)-value-\(i % 97)" }
    var attributes: [String: String] = [:]
    for k in ["instanceType", "state", "vpcId", "subnetId", "imageId", "launchTime"] { attributes[k] = "\(k)-\(i % 1013)-\(i)" }
    let relations = (0..<3).map { Relation(type: ["InVPC", "InSubnet", "SecuredBy"][$0], target: "arn:aws:ec2:eu-west-1:123456789012:thing/\($0)-\(i % 50)") }
    let now = Date()
    let virtualTags = (0..<6).map {
        VirtualTag(key: "vkey-\($0)", value: "value-\(i % 31)", source: .rule, confidence: 0.9, rule: "rule-\($0)",
                   reason: "matched rule rule-\($0) on nativeTags.team=\(i % 97)", appliedAt: now)
    }
    let history = (0..<10).map {
        TagHistoryEntry(time: now, action: .applied, key: "vkey-\($0 % 6)", old: nil, new: "value-\(i % 31)", actor: "rule/rule-\($0 % 6)")
    }
    let conditions = [
        Condition(type: "Ready", status: .true, observedGeneration: 1, reason: "Evaluated", message: "all required keys have values"),
        Condition(type: "Compliant", status: .false, observedGeneration: 1, reason: "MissingKeys", message: "missing: cost-center"),
    ]
    let meta = ObjectMeta(
        name: "aws-ec2-instance-\(i)", namespace: "estate-\(i % 10)", uid: UUID().uuidString, resourceVersion: String(1000 + i),
        generation: 1, creationTimestamp: now, labels: ["vtag.dev/provider": "aws", "vtag.dev/type": "ec2-instance", "vtag.dev/account": "123456789012"],
        annotations: ["kubectl.kubernetes.io/last-applied-configuration": String(repeating: "{\"spec\":\(i)}", count: 60)])
    return CloudResource(
        metadata: meta,
        spec: CloudResourceSpec(provider: "aws", id: id, type: "ec2:instance", name: "instance-\(i)", account: "123456789012",
                                region: "eu-west-1", nativeTags: tags, attributes: attributes, relations: relations),
        status: CloudResourceStatus(phase: .active, virtualTags: virtualTags, missingKeys: ["cost-center"], history: history,
                                    conditions: conditions, evaluatedAt: now, modelVersion: "m-1", observedGeneration: 1))
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}

/// What a tagging controller could drop from its cache: the last-applied annotation, history and
/// condition messages (read from the API when a person asks, not in the reconcile hot path).
let benchCloudResourceTransform: Store<CloudResource>.Transform = { r in
    var r = r
    r.metadata.annotations = nil
    r.status?.history = nil
    r.status?.conditions = nil
    return r
}

/// Cache memory: resident bytes added by by an informer store of 10,000 CloudResources, fed one watch
/// event at a time (so only the store keeps them), with and without a transform. With
/// VTAG_BENCH_CACHE_FILE (what `operator-ceiling` saves with VTAG_BENCH_SAVE_RESOURCES): the estate's
/// own evaluated CloudResources instead of synthetic ones.
func runtimeCacheMemoryBenchmark() async throws {
    let saved = try ProcessInfo.processInfo.environment["VTAG_BENCH_CACHE_FILE"].map { path in
        try Data(contentsOf: URL(fileURLWithPath: path)).split(separator: UInt8(ascii: "\n")).map { Data($0) }
    }
    let n = saved?.count ?? 10_000
    let decoder = JSONDecoder()
    // Decoded as each event arrives, so the objects share nothing but what the transform shares.
    let object: (Int) throws -> CloudResource = { i in try saved.map { try decoder.decode(CloudResource.self, from: $0[i]) } ?? benchCloudResource(i) }
    print("cache memory: \(saved == nil ? "synthetic CloudResources" : "the CloudResources of VTAG_BENCH_CACHE_FILE")")
    let cases: [(String, Store<CloudResource>.Transform?, Store<CloudResource>.Packing?)] = [
        // The smallest first: a later case may fill holes an earlier one left in the heap, unseen by the resident set.
        ("the operator's: annotations dropped, what repeats in the spec shared, metadata and status packed", CloudResourceCacheTransform.beforePacking(), CloudResourcePacking.make()),
        ("no transform", nil, nil), ("transform", benchCloudResourceTransform, nil),
        ("annotations dropped, repeated strings and values shared (not packed)", CloudResourceCacheTransform.make(), nil),
    ]
    for (label, transform, packing) in cases {
        guard let before = residentBytesAfterTrim() else { print("cache memory: /proc/self/statm unavailable on this platform"); return }
        let informer = Informer<CloudResource>(store: Store(transform: transform, packing: packing)) { AsyncThrowingStream { $0.finish() } }
        await informer.handle(.restarted([]))
        for i in 0..<n { await informer.handle(.applied(try object(i))) }
        let after = residentBytesAfterTrim() ?? before
        let perObject = Double(after - before) / Double(n)
        print("cache memory (\(label)): \(Int(perObject)) bytes/object, \(String(format: "%.1f", perObject * 10_000 / 1_048_576)) MiB per 10,000 objects (\(informer.store.count) cached; resident set delta, /proc/self/statm)")
        withExtendedLifetime(informer) {}
    }
}

/// Queue throughput: distinct keys through a controller with a no-op reconcile and 4 workers.
func runtimeQueueThroughputBenchmark() async throws {
    let n = 100_000
    let done = Atomic<Int>(0)
    let finished = AsyncSignal()
    let controller = Controller(name: "bench", workers: 4) { _ in
        if done.add(1, ordering: .relaxed).newValue == n { finished.signal() }
        return .done
    }
    let run = Task { try await controller.run() }
    let keys = (0..<n).map { ObjectKey(namespace: "ns-\($0 % 10)", name: "object-\($0)") }
    let start = ContinuousClock.now
    await controller.queue.add(contentsOf: keys)
    await finished.wait()
    let elapsed = ContinuousClock.now - start
    controller.stop()
    try await run.value
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    print("queue throughput: \(Int(Double(n) / seconds)) keys/s (\(n) keys, 4 workers, no-op reconcile, \(String(format: "%.2f", seconds)) s)")
}
