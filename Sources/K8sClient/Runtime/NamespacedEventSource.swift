import KubeCore

/// The watch an informer runs for a set of namespaces: all namespaces (one watch) when the set is
/// empty, one namespace's watch, or several namespaces' watches merged into one event stream.
///
/// Merging keeps the informer's contract that `.restarted` is the complete current state: the first
/// `.restarted` is held back until every namespace has listed (so the cache reports synced only when
/// all namespaces are in), and a later relist of one namespace is passed on as that namespace's new
/// list plus the cache's current objects of the other namespaces. That union is computed when the
/// informer pulls the event, after it has applied every earlier event, so it never resurrects or
/// loses another namespace's object.
enum NamespacedEventSource {
    static func make<T: KubernetesObject>(
        client: KubeClient, namespaces: [String], config: WatcherConfig, store: Store<T>
    ) -> Informer<T>.EventSource {
        let unique = Array(Set(namespaces)).sorted()
        switch unique.count {
        case 0:
            return { Watcher(api: Api<T>.all(client), config: config) }
        case 1:
            return { Watcher(api: Api<T>(client: client, namespace: unique[0]), config: config) }
        default:
            return {
                let (stream, continuation) = AsyncThrowingStream<NamespacedEvent<T>, any Error>.makeStream()
                let pump = Task {
                    do {
                        try await withThrowingDiscardingTaskGroup { group in
                            for namespace in unique {
                                group.addTask {
                                    for try await event in Watcher(api: Api<T>(client: client, namespace: namespace), config: config) {
                                        continuation.yield(NamespacedEvent(namespace: namespace, event: event))
                                    }
                                }
                            }
                        }
                        continuation.finish()
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
                continuation.onTermination = { _ in pump.cancel() }
                let merger = NamespaceMerger<T>(namespaces: unique, store: store)
                return stream.compactMap { merger.translate($0.event, from: $0.namespace) }
            }
        }
    }
}

/// One namespace's watch event in the merged stream: a named struct, never a tuple (Swift 6.3.1
/// release builds miscompile tuple-shaped async results; docs/ARCHITECTURE.md, "Release builds").
struct NamespacedEvent<T: KubernetesObject>: Sendable {
    let namespace: String
    let event: WatcherEvent<T>
}

/// Turns per-namespace watch events into events over the union of the namespaces (see above).
final class NamespaceMerger<T: KubernetesObject>: Sendable {
    private struct State {
        /// Namespaces whose first list has not arrived yet; empty once the union has been listed.
        var unlisted: Set<String>
        /// Before the first union list: each listed namespace's objects, kept current by its events.
        var early: [String: [String: T]] = [:]
    }

    private let state: Locked<State>
    private let store: Store<T>

    init(namespaces: [String], store: Store<T>) {
        self.state = Locked(State(unlisted: Set(namespaces)))
        self.store = store
    }

    func translate(_ event: WatcherEvent<T>, from namespace: String) -> WatcherEvent<T>? {
        state.withLock { s -> WatcherEvent<T>? in
            if s.unlisted.isEmpty {
                guard case .restarted(let items) = event else { return event }
                let others = store.list().filter { ($0.metadata.namespace ?? "") != namespace }
                return .restarted(items + others)
            }
            switch event {
            case .restarted(let items):
                s.early[namespace] = Dictionary(items.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { _, last in last })
                s.unlisted.remove(namespace)
            case .applied(let object):
                s.early[namespace]?[object.metadata.name ?? ""] = object
            case .deleted(let object):
                s.early[namespace]?[object.metadata.name ?? ""] = nil
            }
            guard s.unlisted.isEmpty else { return nil }
            let all = s.early.values.flatMap(\.values)
            s.early = [:]
            return .restarted(all)
        }
    }
}
