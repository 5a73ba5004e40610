/// When a request is tried again. 429 (the server did not process it) is retried for every verb,
/// honouring Retry-After; 5xx and transport failures only for idempotent verbs (GET, PUT with
/// resourceVersion, DELETE), with exponential backoff.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after 429 Too Many Requests.
    public var maxThrottledRetries = 5
    /// Retries of idempotent requests after 5xx or a transport failure.
    public var maxServerErrorRetries = 3
    public var initialBackoff: Duration = .milliseconds(200)
    public var maxBackoff: Duration = .seconds(10)
    /// A Retry-After longer than this is capped (a misbehaving proxy must not park us for an hour).
    public var maxRetryAfter: Duration = .seconds(30)

    public init(maxThrottledRetries: Int = 5, maxServerErrorRetries: Int = 3, initialBackoff: Duration = .milliseconds(200), maxBackoff: Duration = .seconds(10)) {
        self.maxThrottledRetries = maxThrottledRetries
        self.maxServerErrorRetries = maxServerErrorRetries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxThrottledRetries: 0, maxServerErrorRetries: 0)

    /// Backoff before retry number `attempt` (1-based), with up to 20% jitter.
    func backoff(attempt: Int) -> Duration {
        var d = initialBackoff
        for _ in 1..<max(attempt, 1) { d = min(d * 2, maxBackoff) }
        let jitter = Double.random(in: 0...0.2)
        return min(d + d * jitter, maxBackoff)
    }
}
