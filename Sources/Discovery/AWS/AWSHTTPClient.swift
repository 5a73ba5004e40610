import AsyncHTTPClient
import NIOCore

/// The HTTP client AWS discovery uses unless given one. Unlike `HTTPClient.shared`, it does not
/// keep retrying a failed connection until the request's deadline: the transport has its own
/// retries with backoff, and an unreachable endpoint should be reported in seconds, not minutes.
public enum AWSHTTP {
    public static let shared: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        configuration.redirectConfiguration = .disallow
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
