import Foundation

/// `spec.aws.writeBack`: opt-in writing of applied virtual tags onto the AWS resources themselves
/// (Resource Groups Tagging API TagResources), so tools outside the cluster see them.
public struct AWSWriteBackSettings: Codable, Sendable, Hashable {
    public enum Mode: String, Codable, Sendable, Hashable, CaseIterable {
        /// Write a key only where the resource has no native value for it (in any letter case).
        case fillMissing = "FillMissing"
        /// Also replace a native value that differs from the virtual one.
        case overwrite = "Overwrite"
    }

    /// The virtual tag keys to write. `aws:` keys are AWS's own and never written.
    public var keys: [String]
    /// Default FillMissing.
    public var mode: Mode?
    /// Plan the calls and report them in the run's status, without calling AWS. Default false.
    public var dryRun: Bool?

    public init(keys: [String], mode: Mode? = nil, dryRun: Bool? = nil) {
        self.keys = keys
        self.mode = mode
        self.dryRun = dryRun
    }

    public var effectiveMode: Mode { mode ?? .fillMissing }
    public var effectiveDryRun: Bool { dryRun ?? false }
}

/// What a run's write-back did (`status.lastRun.writeBack`).
public struct WriteBackRun: Codable, Sendable, Hashable {
    public var dryRun: Bool
    /// Resources given at least one tag (or, in a dry run, that would be).
    public var resources: Int
    /// Tags written (or that would be).
    public var tags: Int
    /// TagResources calls made (or planned).
    public var calls: Int
    /// Resources AWS refused to tag after the retries (each one is in the run's errorMessages).
    public var failed: Int
    /// In a dry run: the calls it would make, as `TagResources REGION {k=v} ARN...` (the first `plannedCallsLimit`).
    public var plannedCalls: [String]?

    public static let plannedCallsLimit = 20

    public init(dryRun: Bool, resources: Int = 0, tags: Int = 0, calls: Int = 0, failed: Int = 0, plannedCalls: [String]? = nil) {
        self.dryRun = dryRun
        self.resources = resources
        self.tags = tags
        self.calls = calls
        self.failed = failed
        self.plannedCalls = plannedCalls
    }
}

/// A virtual tag written onto the cloud resource (`status.writtenBack`).
public struct WrittenBackTag: Codable, Sendable, Hashable {
    public var key: String
    public var value: String
    public var writtenAt: Date
    /// The DiscoveryJob whose write-back wrote it.
    public var job: String

    public init(key: String, value: String, writtenAt: Date, job: String) {
        self.key = key
        self.value = value
        self.writtenAt = writtenAt
        self.job = job
    }
}
