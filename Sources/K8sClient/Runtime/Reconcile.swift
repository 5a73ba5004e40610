/// What a reconcile asks of the queue when it returns normally.
public enum ReconcileResult: Sendable, Hashable {
    /// The object is as it should be; nothing more until it (or something mapped to it) changes.
    case done
    /// Look again after this delay (e.g. waiting for an outside system). Resets the error backoff.
    case requeue(after: Duration)
}

/// Thrown by a reconcile for a failure retrying cannot fix (invalid spec, missing permission the
/// user must grant). Counted in the error metrics and logged, but not retried: the object is
/// reconciled again only when it or something mapped to it changes.
public struct TerminalError: Error, CustomStringConvertible {
    public let underlying: any Error

    public init(_ underlying: any Error) {
        self.underlying = underlying
    }

    public init(_ message: String) {
        self.underlying = TerminalMessage(message: message)
    }

    public var description: String { "terminal: \(underlying)" }

    struct TerminalMessage: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}
