/// Retries with exponential backoff and full jitter
/// (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/): before retry n the
/// caller sleeps a uniformly random time in [0, min(maxDelay, baseDelay * 2^(n-1))].
public struct AWSRetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttempts: Int = 6, baseDelay: Duration = .milliseconds(200), maxDelay: Duration = .seconds(20)) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public static let `default` = AWSRetryPolicy()

    /// The ceiling of the sleep before retry `n` (1 = the first retry).
    func ceiling(beforeRetry n: Int) -> Duration {
        let exponent = min(max(n - 1, 0), 30)
        let grown = baseDelay * (1 << exponent)
        return grown < maxDelay ? grown : maxDelay
    }

    /// A full-jitter delay before retry `n`.
    func delay<R: RandomNumberGenerator>(beforeRetry n: Int, using rng: inout R) -> Duration {
        let ceilingNanos = ceiling(beforeRetry: n).nanoseconds
        guard ceilingNanos > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...ceilingNanos, using: &rng))
    }

    /// Error codes AWS services use for throttling.
    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "TooManyRequestsException",
        "ProvisionedThroughputExceededException", "TransactionInProgressException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    ]

    /// Error codes of transient server-side failures.
    static let transientCodes: Set<String> = [
        "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable", "ServiceUnavailableException",
        "RequestTimeout", "RequestTimeoutException", "IDPCommunicationError",
    ]
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
