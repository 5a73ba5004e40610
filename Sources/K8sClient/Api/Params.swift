import Foundation
import KubeCore

/// Options of a list request.
public struct ListParams: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// Page size; the server answers a `continue` token when more remain.
    public var limit: Int?
    public var continueToken: String?
    /// "0" = any version from the watch cache (cheap); nil = a consistent read from etcd.
    public var resourceVersion: String?
    /// "NotOlderThan" or "Exact", with `resourceVersion`.
    public var resourceVersionMatch: String?
    public var timeoutSeconds: Int?

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = nil, continueToken: String? = nil,
                resourceVersion: String? = nil, resourceVersionMatch: String? = nil, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
        self.timeoutSeconds = timeoutSeconds
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { q.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { q.append(("fieldSelector", fieldSelector)) }
        if let limit { q.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { q.append(("continue", continueToken)) }
        if let resourceVersion { q.append(("resourceVersion", resourceVersion)) }
        if let resourceVersionMatch { q.append(("resourceVersionMatch", resourceVersionMatch)) }
        if let timeoutSeconds { q.append(("timeoutSeconds", String(timeoutSeconds))) }
        return q
    }
}

/// Options of a watch request.
public struct WatchParams: Sendable, Hashable {
    public var labelSelector: String?
    public var fieldSelector: String?
    /// The server ends the watch after this long; the `Watcher` then resumes (rotation).
    public var timeoutSeconds: Int
    public var allowWatchBookmarks: Bool

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, timeoutSeconds: Int = 290, allowWatchBookmarks: Bool = true) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.timeoutSeconds = timeoutSeconds
        self.allowWatchBookmarks = allowWatchBookmarks
    }

    func query(resourceVersion: String?) -> [(String, String)] {
        var q: [(String, String)] = [("watch", "true")]
        if let labelSelector, !labelSelector.isEmpty { q.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { q.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion, !resourceVersion.isEmpty { q.append(("resourceVersion", resourceVersion)) }
        q.append(("timeoutSeconds", String(timeoutSeconds)))
        if allowWatchBookmarks { q.append(("allowWatchBookmarks", "true")) }
        return q
    }
}

/// Options of create and replace.
public struct PostParams: Sendable, Hashable {
    public var dryRun: Bool
    public var fieldManager: String?

    public init(dryRun: Bool = false, fieldManager: String? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let fieldManager { q.append(("fieldManager", fieldManager)) }
        return q
    }
}

/// Options of a patch. Server-side apply needs `fieldManager`; `force` takes fields owned by others.
public struct PatchParams: Sendable, Hashable {
    public var fieldManager: String?
    public var force: Bool
    public var dryRun: Bool

    public init(fieldManager: String? = nil, force: Bool = false, dryRun: Bool = false) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
    }

    /// Server-side apply as `manager`.
    public static func apply(_ manager: String, force: Bool = false) -> PatchParams {
        PatchParams(fieldManager: manager, force: force)
    }

    var query: [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let fieldManager { q.append(("fieldManager", fieldManager)) }
        if force { q.append(("force", "true")) }
        return q
    }
}

/// Options of a delete, sent as a DeleteOptions body.
public struct DeleteParams: Sendable, Hashable, Encodable {
    public enum PropagationPolicy: String, Sendable, Hashable, Encodable {
        case foreground = "Foreground", background = "Background", orphan = "Orphan"
    }

    /// Delete only if the object still has this uid / resourceVersion (else 409 Conflict).
    public struct Preconditions: Sendable, Hashable, Encodable {
        public var uid: String?
        public var resourceVersion: String?
        public init(uid: String? = nil, resourceVersion: String? = nil) {
            self.uid = uid
            self.resourceVersion = resourceVersion
        }
    }

    public var propagationPolicy: PropagationPolicy?
    public var gracePeriodSeconds: Int64?
    public var preconditions: Preconditions?
    public var dryRun: Bool

    public init(propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int64? = nil, preconditions: Preconditions? = nil, dryRun: Bool = false) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditions = preconditions
        self.dryRun = dryRun
    }

    enum CodingKeys: String, CodingKey { case kind, apiVersion, propagationPolicy, gracePeriodSeconds, preconditions, dryRun }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("DeleteOptions", forKey: .kind)
        try c.encode("v1", forKey: .apiVersion)
        try c.encodeIfPresent(propagationPolicy, forKey: .propagationPolicy)
        try c.encodeIfPresent(gracePeriodSeconds, forKey: .gracePeriodSeconds)
        try c.encodeIfPresent(preconditions, forKey: .preconditions)
        if dryRun { try c.encode(["All"], forKey: .dryRun) }
    }
}

/// What a delete answers: the object (still there, e.g. held by finalizers, with deletionTimestamp
/// set) or a Status saying it is gone.
public enum DeleteOutcome<Object: Sendable>: Sendable {
    case pending(Object)
    case deleted(StatusResponse)

    /// The object when deletion is still in progress.
    public var object: Object? { if case .pending(let o) = self { return o } else { return nil } }
}
