/// Every failure of cost allocation: one type for the module (docs/ARCHITECTURE.md, "Errors"). A row
/// that cannot be used is not an error (it is a `FOCUSProblem`, and the other rows are kept).
public enum CostError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A file that cannot be read as a FOCUS export at all: which file, and why.
    case unreadableFOCUS(file: String, reason: String)
    /// gzip data that cannot be decompressed (the reader turns it into `unreadableFOCUS`, naming the file).
    case corruptGzip(reason: String)

    /// Why, without the file.
    public var reason: String {
        switch self {
        case .unreadableFOCUS(_, let reason), .corruptGzip(let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .unreadableFOCUS(let file, let reason): "\(file): \(reason)"
        case .corruptGzip(let reason): "gzip: \(reason)"
        }
    }
}
