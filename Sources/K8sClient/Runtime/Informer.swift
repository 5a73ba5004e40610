import KubeCore
import Logging

/// Reflector + cache + event handlers for one kind: runs a watch (list, then watch with resume and
/// relist on 410, which the client's Watcher does), keeps `store` up to date and hands each change
/// to the registered handlers (controllers register theirs through `Controller.watch/owns/watches`).
///
/// Handlers run in event order on the informer's task; a slow handler slows the informer, so
/// handlers only enqueue keys. Periodic re-evaluation is the controller's (`Controller.resync`), which
/// runs only where the controller runs (on the leader).
public final class Informer<T: KubernetesObject>: Sendable {
    public typealias Handler = @Sendable (InformerEvent<T>) async -> Void
    public typealias EventSource = @Sendable () -> any AsyncSequence<WatcherEvent<T>, any Error>

    public let store: Store<T>
    private let source: EventSource
    private let handlers = Locked<[Handler]>([])
    private let logger: Logger

    /// - Parameters:
    ///   - events: opens the watch; called once per `run()`.
    public init(
        store: Store<T> = Store(), logger: Logger = Logger(label: "vtag.informer"), events: @escaping EventSource
    ) {
        self.store = store
        self.source = events
        var logger = logger
        logger[metadataKey: "kind"] = .string(T.resource.description)
        self.logger = logger
    }

    /// An informer over a `Watcher` of `api` (list + watch, resume, relist on 410).
    public convenience init(
        api: Api<T>, watcher: WatcherConfig = WatcherConfig(), store: Store<T> = Store(),
        logger: Logger = Logger(label: "vtag.informer")
    ) {
        self.init(store: store, logger: logger) {
            Watcher(api: api, config: watcher)
        }
    }

    /// Registers a handler. Register before `run()`: a handler added later misses earlier events.
    public func addHandler(_ handler: @escaping Handler) {
        handlers.withLock { $0.append(handler) }
    }

    public var hasSynced: Bool { store.hasSynced }

    public func waitForSync() async { await store.waitForSync() }

    /// Runs until cancelled (or the watch ends or fails, which ends or rethrows here).
    public func run() async throws {
        for try await event in source() {
            try Task.checkCancellation()
            await handle(event)
        }
    }

    /// Applies one reflector event to the store and hands the resulting changes to the handlers.
    /// (Public so callers with their own event source, and tests, can feed an informer directly.)
    public func handle(_ event: WatcherEvent<T>) async {
        let changes: [InformerEvent<T>]
        switch event {
        case .restarted(let items):
            let wasSynced = store.hasSynced
            changes = store.replace(with: items)
            if !wasSynced { logger.debug("cache synced", metadata: ["objects": "\(items.count)"]) }
        case .applied(let obj):
            changes = store.apply(obj).map { [$0] } ?? []
        case .deleted(let obj):
            changes = store.delete(obj).map { [$0] } ?? []
        }
        await dispatch(changes)
    }

    private func dispatch(_ changes: [InformerEvent<T>]) async {
        guard !changes.isEmpty else { return }
        let hs = handlers.withLock { $0 }
        for change in changes {
            for h in hs { await h(change) }
        }
    }
}
