import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// One HTTP request to a cloud's JSON API (GCP, Azure) or token endpoint.
struct RESTRequest: Sendable {
    var method: String = "GET"
    var url: String
    var headers: [(String, String)] = []
    var body: [UInt8] = []
}

/// An HTTP answer, whatever its status.
struct RESTAnswer: Sendable {
    var status: Int
    var body: Data
    var retryAfter: Duration?
    /// Attempts made, the first included.
    var attempts: Int

    var isSuccess: Bool { (200..<300).contains(status) }
}

/// Sends JSON API requests, retrying throttling (429), 5xx and connection failures with full-jitter
/// backoff, and waiting at least as long as a `Retry-After` header asks (capped by the policy's
/// maximum delay). What is left after the retries is returned (an error answer) or thrown (no answer).
struct RESTClient: Sendable {
    var http: HTTPClient
    var retry: AWSRetryPolicy
    var timeout: Duration
    var logger: Logger
    /// Largest answer read into memory; a page of 1,000 rows is far smaller.
    var maxResponseBytes = 64 << 20

    func send(_ request: RESTRequest) async throws -> RESTAnswer {
        var rng = SystemRandomNumberGenerator()
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let answer: RESTAnswer
            do {
                answer = try await execute(request, attempt: attempt)
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard attempt < retry.maxAttempts else {
                    throw DiscoveryError.unreachable(url: request.url, attempts: attempt, reason: "\(error)")
                }
                try await Task.sleep(for: retry.delay(beforeRetry: attempt, using: &rng))
                continue
            }
            let retryable = answer.status == 429 || answer.status >= 500
            guard retryable, attempt < retry.maxAttempts else { return answer }
            var delay = retry.delay(beforeRetry: attempt, using: &rng)
            if let asked = answer.retryAfter, asked > delay { delay = min(asked, retry.maxDelay) }
            logger.debug(
                "retrying cloud API call",
                metadata: ["url": "\(request.url)", "status": "\(answer.status)", "attempt": "\(attempt)", "delay_ms": "\(delay.nanoseconds / 1_000_000)"])
            try await Task.sleep(for: delay)
        }
    }

    private func execute(_ request: RESTRequest, attempt: Int) async throws -> RESTAnswer {
        var http = HTTPClientRequest(url: request.url)
        http.method = .init(rawValue: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "POST" { http.body = .bytes(ByteBuffer(bytes: request.body)) }
        let response = try await self.http.execute(http, timeout: .nanoseconds(timeout.nanoseconds))
        let buffer = try await response.body.collect(upTo: maxResponseBytes)
        return RESTAnswer(
            status: Int(response.status.code), body: Data(buffer: buffer),
            retryAfter: response.headers.first(name: "Retry-After").flatMap(Self.retryAfter), attempts: attempt)
    }

    /// `Retry-After: SECONDS` (the HTTP-date form is not used by these APIs).
    static func retryAfter(_ header: String) -> Duration? {
        Double(header.trimmingCharacters(in: .whitespaces)).map { .milliseconds(Int64(max(0, $0) * 1000)) }
    }

    /// `application/x-www-form-urlencoded` body of OAuth token requests.
    static func form(_ fields: [(String, String)]) -> [UInt8] {
        Array(AWSPercentEncoding.formEncode(fields).utf8)
    }
}
