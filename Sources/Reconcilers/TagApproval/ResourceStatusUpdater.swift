import Foundation
import K8sClient
import TaggingAPI

/// Writes a change to one CloudResource's status with optimistic concurrency (the status alone, guarded by
/// the resourceVersion it was computed from: `CacheAwareApi.patchStatus(of:)`). On 409 Conflict it re-reads the object from the server and
/// recomputes, a bounded number of times; then it gives up with an error, so the work queue retries later.
struct ResourceStatusUpdater: Sendable {
    let client: KubeClient
    let resources: Store<CloudResource>
    let attempts: Int

    enum Outcome: Sendable, Equatable {
        /// The change was written; the resource as the server answered.
        case written(CloudResource)
        case alreadyDone
        case skipped(String)
        /// The CloudResource does not exist (deleted since the approval was made).
        case notFound
    }

    /// Applies `change` to the resource `name` in `namespace`, starting from the cached copy.
    func update(
        name: String, namespace: String, _ change: @Sendable (CloudResource) -> DecisionEffect.Change
    ) async throws -> Outcome {
        let api = CacheAwareApi(client: client, namespace: namespace, cache: resources)
        // The cache may lag behind a resource created moments ago: ask the server before calling it gone.
        guard var current = try await cachedOrFetched(name, namespace: namespace, api: api) else { return .notFound }
        for attempt in 1...max(1, attempts) {
            guard current.metadata.deletionTimestamp == nil else { return .notFound }
            switch change(current) {
            case .alreadyDone: return .alreadyDone
            case .skipped(let why): return .skipped(why)
            case .write(let status):
                var updated = current
                updated.status = status
                do {
                    let written = try await api.patchStatus(of: updated)
                    return .written(written)
                } catch let error as KubeClientError where error.isConflict && attempt < attempts {
                    guard let fresh = try await api.api.getOptional(name) else { return .notFound }
                    current = fresh
                } catch let error as KubeClientError where error.isNotFound {
                    return .notFound
                } catch let error as KubeClientError where error.isConflict {
                    throw ReconcileError.resourceConflicts(resource: "\(namespace)/\(name)", attempts: attempts)
                }
            }
        }
        throw ReconcileError.resourceConflicts(resource: "\(namespace)/\(name)", attempts: attempts)
    }

    private func cachedOrFetched(_ name: String, namespace: String, api: CacheAwareApi<CloudResource>) async throws -> CloudResource? {
        if let cached = resources.get(name: name, namespace: namespace) { return cached }
        return try await api.api.getOptional(name)
    }
}
