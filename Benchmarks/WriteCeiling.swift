// The API server's write ceiling for CloudResources: what parallel clients with no client-side limit get
// through, as one create and one status write per resource (what a first discovery needs at least).
import Foundation
import K8sClient
import KubeCore
import Synchronization
import TaggingAPI

enum WriteCeiling {
    /// One round of writes: how long it took and what failed.
    struct Round: Sendable {
        var count: Int
        var seconds: Double
        var failures: Int
        var firstFailure: String?

        var perSecond: Double { Double(count - failures) / max(seconds, 1e-9) }
    }

    struct Result: Sendable {
        var creates: Round
        var statusWrites: Round
    }

    /// A worker's failures (a named struct: the task group's child result).
    struct Failures: Sendable {
        var count = 0
        var first: String?
    }

    static func measure(specs: [CloudResourceSpec], client: KubeClient, namespace: String, clients: Int) async throws -> Result {
        let api = Api<CloudResource>(client: client, namespace: namespace)
        let names = specs.map { ResourceNaming.name(provider: $0.provider, id: $0.id) }
        let creates = await parallel(specs.count, clients: clients) { i in
            var labels = CloudResource.mirrorLabels(for: specs[i])
            labels[VTag.Label.managedBy] = "vtag"
            _ = try await api.create(CloudResource(metadata: ObjectMeta(name: names[i], labels: labels), spec: specs[i]))
        }
        let now = Date().truncatedToWholeSecond
        let statusWrites = await parallel(specs.count, clients: clients) { i in
            let status = try JSONValue.from(taggerLikeStatus(specs[i], now: now))
            _ = try await api.patchStatus(names[i], .merge(.object(["status": status])))
        }
        return Result(creates: creates, statusWrites: statusWrites)
    }

    /// `count` calls of `body` (by index), `clients` at a time.
    static func parallel(_ count: Int, clients: Int, _ body: @escaping @Sendable (Int) async throws -> Void) async -> Round {
        let next = NextIndex()
        let start = ContinuousClock.now
        let failures = await withTaskGroup(of: Failures.self, returning: Failures.self) { group in
            for _ in 0..<max(clients, 1) {
                group.addTask {
                    var mine = Failures()
                    while true {
                        let i = next.take()
                        guard i < count else { return mine }
                        do { try await body(i) } catch {
                            mine.count += 1
                            if mine.first == nil { mine.first = "\(error)" }
                        }
                    }
                }
            }
            var all = Failures()
            for await f in group {
                all.count += f.count
                all.first = all.first ?? f.first
            }
            return all
        }
        return Round(count: count, seconds: (ContinuousClock.now - start).inSeconds, failures: failures.count, firstFailure: failures.first)
    }

    /// A status the size of the tagger's: the resource's native tags as virtual tags, their history,
    /// the two conditions.
    static func taggerLikeStatus(_ spec: CloudResourceSpec, now: Date) -> CloudResourceStatus {
        let native = (spec.nativeTags ?? [:]).sorted { $0.key < $1.key }.prefix(6)
        var status = CloudResourceStatus()
        status.phase = .active
        status.virtualTags = native.map {
            VirtualTag(key: $0.key.lowercased(), value: $0.value, source: .native, confidence: 1, reason: "native tag \($0.key)=\($0.value)", appliedAt: now)
        }
        status.history = native.map { TagHistoryEntry(time: now, action: .applied, key: $0.key.lowercased(), new: $0.value, actor: "native") }
        status.missingKeys = ["cost-center"]
        status.conditions = [
            Condition(type: VTag.ConditionType.tagged, status: .true, observedGeneration: 1, lastTransitionTime: now, reason: "TagsApplied",
                      message: "\(native.count) virtual tag(s) applied"),
            Condition(type: VTag.ConditionType.compliant, status: .false, observedGeneration: 1, lastTransitionTime: now, reason: "MissingKeys",
                      message: "missing required keys: cost-center"),
        ]
        status.evaluatedAt = now
        status.observedGeneration = 1
        return status
    }
}

/// Hands out 0, 1, 2, ... to parallel workers.
final class NextIndex: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}
