import KubeCore

/// The API of one kind in one namespace, for a controller that reads from an informer's cache: every
/// write records the server's answer in that cache, and every deletion (ours, or one a write or read
/// discovers) takes the object out of it. So a reconcile never reads a cache older than its own last
/// write, and no caller has to remember to tell the cache (docs/ARCHITECTURE.md, "Writes").
public struct CacheAwareApi<T: KubernetesObject>: Sendable {
    public let api: Api<T>
    public let cache: Store<T>
    /// Where the writing controller keeps its own writes, for `EventPredicate.notOwnWrite`.
    public let ownWrites: OwnWrites?

    public init(_ api: Api<T>, cache: Store<T>, ownWrites: OwnWrites? = nil) {
        self.api = api
        self.cache = cache
        self.ownWrites = ownWrites
    }

    public init(client: KubeClient, namespace: String, cache: Store<T>, ownWrites: OwnWrites? = nil) {
        self.init(Api<T>(client: client, namespace: namespace), cache: cache, ownWrites: ownWrites)
    }

    // MARK: Writes

    @discardableResult
    public func create(_ object: T, _ params: PostParams = PostParams()) async throws -> T {
        try await recorded(api.name(of: object)) { try await api.create(object, params) }
    }

    @discardableResult
    public func replace(_ object: T, _ params: PostParams = PostParams()) async throws -> T {
        try await recorded(api.name(of: object)) { try await api.replace(object, params) }
    }

    @discardableResult
    public func replaceStatus(_ object: T, _ params: PostParams = PostParams()) async throws -> T {
        try await recorded(api.name(of: object)) { try await api.replaceStatus(object, params) }
    }

    @discardableResult
    public func patch(_ name: String, _ patch: Patch, _ params: PatchParams = PatchParams()) async throws -> T {
        try await recorded(name) { try await api.patch(name, patch, params) }
    }

    @discardableResult
    public func patchStatus(_ name: String, _ patch: Patch, _ params: PatchParams = PatchParams()) async throws -> T {
        try await recorded(name) { try await api.patchStatus(name, patch, params) }
    }

    /// Makes `object.status` its whole status, sending only the status (`Api.patchStatus(of:)`): 409
    /// Conflict when the object changed since `object` was read, as `replaceStatus`.
    @discardableResult
    public func patchStatus(of object: T) async throws -> T where T: HasStatus, T.Status: WholeStatusPatchable {
        try await recorded(object.metadata.name) { try await api.patchStatus(of: object) }
    }

    /// Deletes the object `name`. Gone at once: its cached copy leaves the cache now. Still held by
    /// finalizers: the answer, with its deletionTimestamp, replaces the cached copy.
    @discardableResult
    public func delete(_ name: String, _ params: DeleteParams = DeleteParams()) async throws -> DeleteOutcome<T> {
        let cached = cache.get(name: name, namespace: cacheNamespace)
        let outcome: DeleteOutcome<T>
        do {
            outcome = try await api.delete(name, params)
        } catch let error as KubeClientError where error.isNotFound {
            forget(name)
            throw error
        }
        // The server answers an immediate deletion with a Status or with the object as it was deleted
        // (custom resources); only an object still held by finalizers is still there.
        if let answer = outcome.object, answer.metadata.deletionTimestamp != nil, !(answer.metadata.finalizers ?? []).isEmpty {
            cache.noteWrite(answer)
        } else if let gone = cached ?? outcome.object {
            cache.noteDelete(gone)
        }
        return outcome
    }

    // MARK: Reads

    /// Reads `name` from the server, bypassing the cache, and brings the cache up to date with the
    /// answer (present: recorded as read; missing: the cached copy leaves the cache).
    @discardableResult
    public func refresh(_ name: String) async throws -> T? {
        if let fresh = try await api.getOptional(name) {
            cache.noteWrite(fresh)
            return fresh
        }
        forget(name)
        return nil
    }

    // MARK: Internals

    /// Runs a write; records its answer, and a NotFound (the object is gone) as a deletion.
    private func recorded(_ name: String?, _ write: () async throws -> T) async throws -> T {
        // Announced, so that an echo the watch delivers before the answer is held, not reconciled (`OwnWrites`).
        let announced = name.map { ObjectKey(namespace: cacheNamespace, name: $0) }
        if let announced { ownWrites?.begin(announced) }
        do {
            let written = try await write()
            // Recorded as ours before the cache learns of it, so an echo arriving in between is known as
            // ours; if the watch delivered it before the answer came back, it was held and is settled now.
            ownWrites?.record(written)
            if !cache.noteWrite(written) { ownWrites?.discard(written) }
            return written
        } catch let error as KubeClientError where error.isNotFound {
            if let announced { ownWrites?.abandon(announced) }
            if let name { forget(name) }
            throw error
        } catch {
            if let announced { ownWrites?.abandon(announced) }
            throw error
        }
    }

    private func forget(_ name: String) {
        if let stale = cache.get(name: name, namespace: cacheNamespace) { cache.noteDelete(stale) }
    }

    /// The namespace the cache files this API's objects under (none for a cluster-scoped kind).
    private var cacheNamespace: String? { T.resource.namespaced ? api.namespace : nil }
}
