import TaggingAPI

/// What a provider yields while it lists: resources page by page, and failures of one part
/// (a service in a region, an inventory row) that do not stop the rest.
public enum DiscoveryEvent: Sendable {
    case resources([CloudResourceSpec])
    case failure(DiscoveryFailure)
}

/// A failure of one part of a discovery run, worded for the person who must fix it. A value the run
/// reports and goes on, not an error it throws (that is `DiscoveryError`).
public struct DiscoveryFailure: Sendable, Hashable, CustomStringConvertible {
    /// What failed, e.g. "rds:db in eu-west-1" or "inventory line 17".
    public var scope: String
    /// What went wrong and, where known, what to do: "not authorized to call rds:DescribeDBInstances".
    public var message: String

    public init(scope: String, message: String) {
        self.scope = scope
        self.message = message
    }

    public var description: String { "\(scope): \(message)" }
}

/// A source of cloud resources. It knows nothing of Kubernetes: it takes settings and credentials
/// and streams what it finds, so 100,000 resources never need to be held at once.
/// GCP (Cloud Asset Inventory) and Azure (Resource Graph) fit the same shape.
public protocol DiscoveryProvider: Sendable {
    /// A short description for logs and status, e.g. "aws 123456789012 [us-east-1, eu-west-1]".
    var description: String { get }

    /// Streams pages of resources and partial failures. The stream throws only when nothing more
    /// can be found at all (e.g. credentials rejected everywhere).
    func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error>
}
