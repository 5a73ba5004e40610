import KubeCore

/// Hands a reconcile the cached object rather than its key (kube-rs's `Controller::run` does the same):
/// reads the key from the cache and does the guard every reconcile starts with. An object that is not
/// cached (deleted, or never there) or is being deleted goes to `gone`; any other to `reconcile`.
///
/// A finalizer-free controller has nothing to do for a gone object beyond forgetting what it derived
/// from it (the default does nothing).
public struct CachedObjectReconcile<T: KubernetesObject>: Sendable {
    public typealias Gone = @Sendable (ObjectKey) async throws -> ReconcileResult
    public typealias Present = @Sendable (T) async throws -> ReconcileResult

    let cache: Store<T>
    let gone: Gone
    let present: Present

    public init(_ cache: Store<T>, gone: @escaping Gone = { _ in .done }, _ reconcile: @escaping Present) {
        self.cache = cache
        self.gone = gone
        self.present = reconcile
    }

    public func callAsFunction(_ key: ObjectKey) async throws -> ReconcileResult {
        guard let object = cache.get(key), object.metadata.deletionTimestamp == nil else { return try await gone(key) }
        return try await present(object)
    }
}
