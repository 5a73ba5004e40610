/// Every failure the reconcilers and the manager throw: one type for the module (docs/ARCHITECTURE.md,
/// "Errors"). Each case holds the facts; `description` says what happened and what a person (or the
/// next retry) can do about it; `reason` is the CamelCase word for conditions and Events.
public enum ReconcileError: Error, Sendable, Equatable, CustomStringConvertible {
    // MARK: DiscoveryJob

    /// `spec.schedule` is not a cron expression Kubernetes CronJobs accept.
    case invalidSchedule(expression: String, problem: String)
    /// A job's provider could not be built from its settings or the objects it references; retrying will
    /// not help until a person acts. `reason`: SecretNotFound, ConfigMapKeyMissing, NoCredentials, ...
    case providerSetup(reason: String, message: String)
    /// Tags were written onto a cloud resource but its CloudResource kept changing under the status write.
    case writeBackNotRecorded(resource: String, conflicts: Int)

    // MARK: TagApproval

    /// A CloudResource kept changing under the write of a decision.
    case resourceConflicts(resource: String, attempts: Int)
    /// Some listed resources do not carry the decision yet (resource name -> why).
    case approvalIncomplete(approval: String, failed: [String: String])
    /// The approvals of a group kept changing while the tagger added a suggestion to them.
    case approvalContention(group: String)

    // MARK: Model

    /// A ConfigMap holding a model chunk kept changing under the write.
    case modelStoreBusy(configMap: String)
    /// A stored model's chunk lacks an annotation the reader needs.
    case modelChunkUnannotated(configMap: String, annotation: String)
    /// A stored model's chunk `index` (of `count`) is missing.
    case modelChunkMissing(configMap: String, index: Int, count: Int)
    /// A chunk belongs to another model version than the first chunk (a save was interrupted).
    case modelChunksMixed(configMap: String, expected: String, found: String)
    /// A chunk holds no data.
    case modelChunkEmpty(configMap: String, key: String)
    /// The joined chunks do not have the SHA-256 the first chunk records.
    case modelChecksumMismatch(expected: String, actual: String, bytes: Int)

    // MARK: Manager

    /// The lease could not be renewed: the process stops so a fresh start campaigns again.
    case leadershipLost(lease: String)
    /// `VTagManager.run()` was called a second time.
    case managerAlreadyRun

    /// Whether a stored model cannot be read (the operator then trains a new one).
    public var isStoredModelUnreadable: Bool {
        switch self {
        case .modelChunkUnannotated, .modelChunkMissing, .modelChunksMixed, .modelChunkEmpty, .modelChecksumMismatch: true
        default: false
        }
    }

    /// The CamelCase reason for a condition or an Event about this failure.
    public var reason: String {
        switch self {
        case .invalidSchedule: "InvalidSchedule"
        case .providerSetup(let reason, _): reason
        case .writeBackNotRecorded: "WriteBackNotRecorded"
        case .resourceConflicts: "ResourceConflicts"
        case .approvalIncomplete: "ApplyPending"
        case .approvalContention: "ApprovalContention"
        case .modelStoreBusy: "ModelStoreBusy"
        case .modelChunkUnannotated, .modelChunkMissing, .modelChunksMixed, .modelChunkEmpty, .modelChecksumMismatch:
            "StoredModelUnreadable"
        case .leadershipLost: "LeadershipLost"
        case .managerAlreadyRun: "AlreadyRun"
        }
    }

    public var description: String {
        switch self {
        case .invalidSchedule(let expression, let problem):
            "invalid cron schedule \"\(expression)\": \(problem)"
        case .providerSetup(_, let message):
            message
        case .writeBackNotRecorded(let resource, let conflicts):
            "recording the written-back tags on CloudResource \(resource): it kept changing (\(conflicts) conflicts in a row); the next run records them"
        case .resourceConflicts(let resource, let attempts):
            "CloudResource \(resource) kept changing under the write (\(attempts) conflicts in a row); will retry"
        case .approvalIncomplete(let approval, let failed):
            "approval \(approval): \(failed.count) resource(s) not updated yet (\(Self.sample(failed))); will retry"
        case .approvalContention(let group):
            "could not add to the approvals of \(group): they kept changing while we wrote (retrying later)"
        case .modelStoreBusy(let configMap):
            "ConfigMap \(configMap) kept changing while the model was stored (another writer?); will retry"
        case .modelChunkUnannotated(let configMap, let annotation):
            "ConfigMap \(configMap) has no valid \(annotation) annotation"
        case .modelChunkMissing(let configMap, let index, let count):
            "chunk \(index) of \(count) (ConfigMap \(configMap)) is missing"
        case .modelChunksMixed(let configMap, let expected, let found):
            "ConfigMap \(configMap) holds model \(found), not \(expected) like the first chunk (a save was interrupted)"
        case .modelChunkEmpty(let configMap, let key):
            "ConfigMap \(configMap) has no binaryData.\(key)"
        case .modelChecksumMismatch(let expected, let actual, let bytes):
            "the \(bytes) bytes read have SHA-256 \(actual), the stored model says \(expected): a chunk is damaged or was edited"
        case .leadershipLost(let lease):
            "lost leadership of Lease \(lease): stopping (a restart campaigns again)"
        case .managerAlreadyRun:
            "a VTagManager runs once; make a new one to run again"
        }
    }

    private static func sample(_ failed: [String: String]) -> String {
        failed.sorted { $0.key < $1.key }.prefix(3).map { "\($0.key): \($0.value)" }.joined(separator: "; ")
    }
}
