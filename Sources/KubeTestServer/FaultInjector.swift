import Foundation
import KubeCore

/// Faults a test can inject into the server: failing responses, latency, forbidden verbs, dropped watches,
/// compaction.
public final class FaultInjector: Sendable {
    struct Failure: Sendable {
        var remaining: Int
        var status: Int
        var retryAfterSeconds: Int?
        var pathPrefix: String?
    }

    struct Forbid: Sendable {
        var verb: String?
        var resource: String?
        var user: String?
    }

    struct State: Sendable {
        var failures: [Failure] = []
        var latency: Duration = .zero
        var forbids: [Forbid] = []
    }

    let state = Locked(State())
    /// Set by the server: closes every open watch stream / forgets the event history.
    let dropWatchesAction: @Sendable () -> Void
    let compactAction: @Sendable () -> Void
    let compactStorageAction: @Sendable () -> Void

    init(dropWatches: @escaping @Sendable () -> Void, compact: @escaping @Sendable () -> Void,
         compactStorage: @escaping @Sendable () -> Void) {
        dropWatchesAction = dropWatches
        compactAction = compact
        compactStorageAction = compactStorage
    }

    /// The next `n` requests (whose path starts with `matching`, when given) fail with `status`
    /// (429 TooManyRequests, 500 InternalError, 503 ServiceUnavailable, 504 Timeout, ...) and a Status body;
    /// `retryAfterSeconds` adds a `Retry-After` header and `details.retryAfterSeconds`.
    public func failNext(_ n: Int, status: Int, retryAfterSeconds: Int? = nil, matching pathPrefix: String? = nil) {
        state.withLock { $0.failures.append(Failure(remaining: n, status: status, retryAfterSeconds: retryAfterSeconds, pathPrefix: pathPrefix)) }
    }

    /// Adds a delay before every response (nil or zero removes it).
    public func latency(_ d: Duration) {
        state.withLock { $0.latency = d }
    }

    /// Answers 403 Forbidden to requests with this verb (get, list, watch, create, update, patch, delete,
    /// deletecollection) on this resource ("widgets", or "widgets/status" for a subresource), for this user;
    /// nil matches anything.
    public func forbid(verb: String? = nil, resource: String? = nil, user: String? = nil) {
        state.withLock { $0.forbids.append(Forbid(verb: verb, resource: resource, user: user)) }
    }

    /// Removes every fault (failures, latency, forbids).
    public func reset() {
        state.withLock { $0 = State() }
    }

    /// Closes every open watch stream abruptly (the TCP connection, no final chunk).
    public func dropWatches() { dropWatchesAction() }

    /// Forgets the event history: a watch or exact list from any older resourceVersion gets 410 Gone.
    public func compact() { compactAction() }

    /// Compacts etcd (not the watch cache) to the current revision, as the API server's periodic compaction
    /// does: continue tokens and exact-revision lists from before now are 410, watches still resume.
    public func compactStorage() { compactStorageAction() }

    func currentLatency() -> Duration { state.withLock { $0.latency } }

    /// Consumes one matching injected failure.
    func takeFailure(path: String) -> Failure? {
        state.withLock { s in
            guard let i = s.failures.firstIndex(where: { $0.remaining > 0 && ($0.pathPrefix.map { path.hasPrefix($0) } ?? true) }) else { return nil }
            s.failures[i].remaining -= 1
            let f = s.failures[i]
            if f.remaining == 0 { s.failures.remove(at: i) }
            return f
        }
    }

    func isForbidden(verb: String, resource: String, user: String) -> Bool {
        state.withLock { s in
            s.forbids.contains { f in
                (f.verb == nil || f.verb == verb) && (f.resource == nil || f.resource == resource) && (f.user == nil || f.user == user)
            }
        }
    }

    static func failureStatus(_ f: Failure) -> APIError {
        let (reason, message): (String, String)
        switch f.status {
        case 429: (reason, message) = ("TooManyRequests", "Too many requests, please try again later.")
        case 500: (reason, message) = ("InternalError", "Internal error occurred: injected fault")
        case 503: (reason, message) = ("ServiceUnavailable", "The server is currently unable to handle the request")
        case 504: (reason, message) = ("Timeout", "The server was unable to return a response in the time allotted, but may still be processing the request")
        case 409: (reason, message) = ("Conflict", "Operation cannot be fulfilled: injected conflict")
        case 401: (reason, message) = ("Unauthorized", "Unauthorized")
        case 403: (reason, message) = ("Forbidden", "forbidden: injected fault")
        case 404: (reason, message) = ("NotFound", "the server could not find the requested resource")
        default: (reason, message) = ("InternalError", "injected fault \(f.status)")
        }
        var e = APIError(f.status, reason, message, details: f.retryAfterSeconds.map { .init(retryAfterSeconds: $0) })
        if let r = f.retryAfterSeconds { e.headers.append(("Retry-After", String(r))) }
        return e
    }
}
