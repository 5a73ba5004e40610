import Foundation
import Logging

/// What a `Watcher` yields, like kube-runtime's watcher events.
public enum WatcherEvent<Object: Sendable>: Sendable {
    /// A full list: the complete current state (first event, and after every relist). Objects not in
    /// it are gone.
    case restarted([Object])
    /// Added or modified.
    case applied(Object)
    case deleted(Object)
}

/// Settings of a `Watcher`.
public struct WatcherConfig: Sendable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// List page size.
    public var pageSize: Int = 500
    /// Each watch request lasts at most this long, then the watcher resumes from the last version
    /// (rotation keeps connections fresh through load balancers).
    public var timeoutSeconds: Int = 290
    public var bookmarks: Bool = true
    /// Backoff after a failed list or watch: initial, doubling, capped; reset by a successful event.
    public var initialBackoff: Duration = .milliseconds(800)
    public var maxBackoff: Duration = .seconds(30)

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, pageSize: Int = 500, timeoutSeconds: Int = 290,
                bookmarks: Bool = true, initialBackoff: Duration = .milliseconds(800), maxBackoff: Duration = .seconds(30)) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.pageSize = pageSize
        self.timeoutSeconds = timeoutSeconds
        self.bookmarks = bookmarks
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }
}

/// A watch that lasts: lists (paginated), then watches from the list's resourceVersion; after a
/// dropped connection it resumes from the last version seen (events and bookmarks) with exponential
/// backoff; on 410 Gone (HTTP or an ERROR event) it relists and yields `.restarted` again.
/// Failures are retried forever (and logged), as client-go's reflector does; the sequence ends only
/// when the consuming task is cancelled.
///
///     for try await event in Watcher(api: Api<ConfigMap>.all(client)) { ... }
public struct Watcher<Object: Codable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = WatcherEvent<Object>
    public let api: ResourceApi<Object>
    public let config: WatcherConfig

    public init(api: ResourceApi<Object>, config: WatcherConfig = WatcherConfig()) {
        self.api = api
        self.config = config
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(api: api, config: config) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let api: ResourceApi<Object>
        let config: WatcherConfig
        var logger: Logger
        /// Where the next watch starts; nil means "list first".
        var resourceVersion: String?
        var stream: WatchEventStream<Object>.AsyncIterator?
        var failures = 0
        /// Whether the current watch has delivered anything (a watch that ends at once, repeatedly,
        /// must back off like a failure).
        var watchDelivered = false
        var watchStarted = ContinuousClock.now

        init(api: ResourceApi<Object>, config: WatcherConfig) {
            self.api = api
            self.config = config
            var logger = api.client.logger
            logger[metadataKey: "resource"] = "\(api.resource)"
            if let ns = api.namespace { logger[metadataKey: "namespace"] = "\(ns)" }
            self.logger = logger
        }

        /// The resourceVersion the watcher has reached (nil before the first list completes).
        public var currentResourceVersion: String? { resourceVersion }

        public mutating func next() async throws -> WatcherEvent<Object>? {
            while !Task.isCancelled {
                guard let rv = resourceVersion else {
                    if let snapshot = await relist() { return .restarted(snapshot) }
                    continue
                }
                if stream == nil {
                    do {
                        let params = WatchParams(
                            labelSelector: config.labelSelector, fieldSelector: config.fieldSelector,
                            timeoutSeconds: config.timeoutSeconds, allowWatchBookmarks: config.bookmarks)
                        stream = try await api.watch(params, resourceVersion: rv).makeAsyncIterator()
                        watchDelivered = false
                        watchStarted = .now
                    } catch let error as KubeClientError where error.isGone {
                        logger.info("watch resourceVersion too old (410): relisting", metadata: ["resourceVersion": "\(rv)"])
                        resourceVersion = nil
                        continue
                    } catch {
                        if Task.isCancelled { return nil }
                        await fail("watch failed to start", error)
                        continue
                    }
                }
                do {
                    guard let event = try await stream!.next() else {
                        stream = nil
                        // A watch that ended at once without news is suspicious: back off.
                        if !watchDelivered && ContinuousClock.now - watchStarted < .seconds(1) {
                            await fail("watch ended immediately", nil)
                        }
                        continue
                    }
                    watchDelivered = true
                    failures = 0
                    switch event {
                    case .added(let o), .modified(let o):
                        advance(api.resourceVersion(of: o))
                        return .applied(o)
                    case .deleted(let o):
                        advance(api.resourceVersion(of: o))
                        return .deleted(o)
                    case .bookmark(let version):
                        advance(version)
                    case .error(let status):
                        stream = nil
                        let error = KubeClientError.from(status: status)
                        if error.isGone {
                            logger.info("watch expired (410): relisting", metadata: ["resourceVersion": "\(rv)"])
                            resourceVersion = nil
                        } else {
                            await fail("watch ERROR event", error)
                        }
                    }
                } catch {
                    stream = nil
                    if Task.isCancelled { return nil }
                    await fail("watch broke; resuming from \(rv)", error)
                }
            }
            return nil
        }

        private mutating func advance(_ version: String?) {
            if let version, !version.isEmpty { resourceVersion = version }
        }

        /// Lists every page; nil after a failure (already backed off).
        private mutating func relist() async -> [Object]? {
            do {
                let list = try await api.listAll(ListParams(
                    labelSelector: config.labelSelector, fieldSelector: config.fieldSelector, limit: config.pageSize))
                failures = 0
                resourceVersion = list.metadata.resourceVersion ?? ""
                stream = nil
                return list.items
            } catch {
                if !Task.isCancelled { await fail("list failed", error) }
                return nil
            }
        }

        private mutating func fail(_ what: String, _ error: Error?) async {
            failures += 1
            var wait = config.initialBackoff
            for _ in 1..<Swift.min(failures, 30) { wait = Swift.min(wait * 2, config.maxBackoff) }
            wait = wait + wait * Double.random(in: 0...0.2)
            logger.warning("\(what)", metadata: [
                "error": "\(error.map { "\($0)" } ?? "none")", "retryIn": "\(wait)", "failures": "\(failures)",
            ])
            try? await Task.sleep(for: wait)
        }
    }
}
