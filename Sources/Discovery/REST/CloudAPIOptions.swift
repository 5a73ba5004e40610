/// Bounds of a GCP or Azure discovery run's calls.
public struct CloudAPIOptions: Sendable {
    /// Results per page asked for, clamped to the API's maximum; nil: the maximum.
    public var pageSize: Int?
    public var retry: AWSRetryPolicy
    /// Per HTTP request.
    public var requestTimeout: Duration

    public init(pageSize: Int? = nil, retry: AWSRetryPolicy = .default, requestTimeout: Duration = .seconds(60)) {
        self.pageSize = pageSize
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    func pageSize(max: Int) -> Int { min(Swift.max(pageSize ?? max, 1), max) }
}
