// The API server's write ceiling for CloudResources: what parallel clients with no client-side limit get
// through, as one create and one status write per resource (what a first discovery needs at least), of the
// very objects and statuses the operator wrote.
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

    /// Creates `written` anew in `namespace` (name, labels and spec), then writes each one's status as it was:
    /// the same objects and statuses the operator wrote, without the operator's work.
    static func measure(written: [CloudResource], client: KubeClient, namespace: String, clients: Int) async throws -> Result {
        let api = Api<CloudResource>(client: client, namespace: namespace)
        let creates = await parallel(written.count, clients: clients) { i in
            let original = written[i]
            // No owner references: their owner (the DiscoveryJob) is not in this namespace.
            let metadata = ObjectMeta(name: original.metadata.name, labels: original.metadata.labels)
            _ = try await api.create(CloudResource(metadata: metadata, spec: original.spec))
        }
        let statusWrites = await parallel(written.count, clients: clients) { i in
            let status = try JSONValue.from(written[i].status)
            _ = try await api.patchStatus(written[i].metadata.name ?? "", .merge(.object(["status": status])))
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
}

/// Hands out 0, 1, 2, ... to parallel workers.
final class NextIndex: Sendable {
    private let value = Atomic<Int>(0)
    func take() -> Int { value.add(1, ordering: .relaxed).oldValue }
}
