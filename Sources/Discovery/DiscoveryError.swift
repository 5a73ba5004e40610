/// Every failure discovery throws: one type for the module (docs/ARCHITECTURE.md, "Errors"). Each case
/// holds the facts; `description` names what failed and what to do (grant a permission, fix a setting,
/// check the network). A part of a run that failed while the rest went on is not thrown: it is a
/// `DiscoveryFailure` event.
public enum DiscoveryError: Error, Sendable, CustomStringConvertible {
    /// Settings that cannot work, worded for the person who wrote the DiscoveryJob (or its Secret).
    case configuration(String)
    /// No credentials could be had (AWS's chain: the Secret, the environment, a web identity).
    case noCredentials(String)
    /// A token endpoint refused to sign in: nothing can be listed.
    case signIn(CloudSignInFailure)
    /// A GCP or Azure API call that failed after its retries.
    case cloudAPI(CloudAPIFailure)
    /// An AWS call that failed after its retries, classified.
    case awsCall(AWSCallFailure)
    /// No HTTP answer at all from `url`, after the retries.
    case unreachable(url: String, attempts: Int, reason: String)
    /// An answer that is not well-formed XML.
    case malformedXML(reason: String, line: Int)
    /// An inventory file (or ConfigMap key) that cannot be read at all.
    case inventoryUnreadable(source: String, reason: String)
    /// An inventory CSV whose header row is not the expected one.
    case inventoryBadHeader(source: String, reason: String)
    /// An inventory that is not valid JSON.
    case inventoryInvalidJSON(source: String, reason: String)

    /// The AWS call's failure, for `.awsCall` failures.
    public var awsCall: AWSCallFailure? {
        if case .awsCall(let failure) = self { return failure } else { return nil }
    }

    public var description: String {
        switch self {
        case .configuration(let message), .noCredentials(let message): message
        case .signIn(let failure): failure.description
        case .cloudAPI(let failure): failure.description
        case .awsCall(let failure): failure.description
        case .unreachable(let url, let attempts, let reason):
            "cannot reach \(url)\(attempts > 1 ? " after \(attempts) attempts" : ""): \(reason) (check the endpoint URL, DNS and network egress)"
        case .malformedXML(let reason, let line): "malformed XML at line \(line): \(reason)"
        case .inventoryUnreadable(let source, let reason): "cannot read inventory \(source): \(reason)"
        case .inventoryBadHeader(let source, let reason):
            "inventory \(source) has a bad header: \(reason) (expected provider,id,type,name,account,region then tag:KEY columns)"
        case .inventoryInvalidJSON(let source, let reason):
            "inventory \(source) is not valid JSON: \(reason) (expected an array of objects with provider, id, type, name, account, region and a tags map)"
        }
    }
}
