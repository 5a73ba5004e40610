/// Every failure of inference: one type for the module (docs/ARCHITECTURE.md, "Errors"). Inference is
/// pure, so the only thing that can fail is a rule; it is worded for the person who wrote it.
public enum InferenceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A TaggingRule that cannot be used: its name (namespace/name when it has a namespace; empty while
    /// a part of it is compiled) and what to change.
    case invalidRule(rule: String, message: String)

    public init(rule: String, message: String) { self = .invalidRule(rule: rule, message: message) }

    /// The rule's name.
    public var rule: String {
        switch self {
        case .invalidRule(let rule, _): rule
        }
    }

    /// What is wrong with the rule, without its name.
    public var message: String {
        switch self {
        case .invalidRule(_, let message): message
        }
    }

    public var description: String { "rule \(rule): \(message)" }
}
