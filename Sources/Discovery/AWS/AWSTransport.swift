import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat

/// One AWS API call before signing.
struct AWSCall: Sendable {
    var service: AWSService
    /// The API operation, e.g. `DescribeInstances`.
    var operation: String
    /// The IAM action when it differs from `service:operation` (S3 ListBuckets is s3:ListAllMyBuckets).
    var iamAction: String?
    var method: String = "GET"
    /// Path below the endpoint, percent-encoded as it goes on the wire.
    var path: String = "/"
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: [UInt8] = []
    /// S3: the bucket addressed (virtual host on AWS, path style on an override endpoint).
    var bucket: String?

    var action: String { iamAction ?? "\(service.iamPrefix):\(operation)" }
}

/// A successful (2xx) answer.
struct AWSResponse: Sendable {
    var status: Int
    var body: Data

    func xml(for call: AWSCall, region: String) throws(DiscoveryError) -> XMLTree {
        switch XMLTree.parse(body) {
        case .success(let tree): return tree
        case .failure(let f):
            throw DiscoveryError.awsCall(AWSCallFailure(
                kind: .badResponse, action: call.action, service: call.service.iamPrefix, region: region, endpoint: "",
                code: nil, message: "\(f)", httpStatus: status, attempts: 1))
        }
    }
}

/// Sends signed AWS requests over AsyncHTTPClient, retrying throttling, 5xx and connection
/// failures with full-jitter backoff, and turning error answers into `DiscoveryError.awsCall`.
struct AWSTransport: Sendable {
    var http: HTTPClient
    var endpoints: AWSEndpoints
    var retry: AWSRetryPolicy
    var timeout: TimeAmount
    var logger: Logger
    /// Largest answer read into memory; AWS pages are far smaller.
    var maxResponseBytes = 64 << 20

    /// Sends the call, signed with the provider's credentials (fetched per attempt so refreshed
    /// credentials take effect), or unsigned when `credentials` is nil (AssumeRoleWithWebIdentity).
    func send(_ call: AWSCall, region: String, credentials: (any AWSCredentialsProvider)?) async throws -> AWSResponse {
        let target = endpoints.target(call.service, region: region, bucket: call.bucket)
        var path = call.path
        if let bucket = call.bucket, endpoints.bucketInPath(bucket) {
            path = "/" + AWSPercentEncoding.encode(bucket) + (path == "/" ? "" : path)
        }
        path = target.basePath + path
        let signer = SigV4Signer(service: call.service.signingName, region: region, isS3: call.service.isS3)
        var rng = SystemRandomNumberGenerator()

        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            var request = SigV4Request(
                method: call.method, path: path, query: call.query, headers: [("Host", target.authority)] + call.headers,
                body: call.body)
            if let credentials {
                let creds = try await credentials.credentials()
                signer.sign(&request, credentials: creds, date: Date())
            }
            let failure: AWSCallFailure
            do {
                let (status, body) = try await execute(request, target: target)
                if (200..<300).contains(status) { return AWSResponse(status: status, body: body.data) }
                failure = Self.errorFromAnswer(status: status, body: body, call: call, region: region, attempts: attempt)
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                failure = AWSCallFailure(
                    kind: .unreachable, action: call.action, service: call.service.iamPrefix, region: region,
                    endpoint: "\(target.scheme)://\(target.authority)", code: nil, message: "\(error)", httpStatus: nil,
                    attempts: attempt)
            }
            guard failure.isRetryable, attempt < retry.maxAttempts else {
                var final = failure
                final.endpoint = "\(target.scheme)://\(target.authority)"
                throw DiscoveryError.awsCall(final)
            }
            let delay = retry.delay(beforeRetry: attempt, using: &rng)
            logger.debug(
                "retrying AWS call",
                metadata: [
                    "action": "\(call.action)", "region": "\(region)", "attempt": "\(attempt)", "reason": "\(failure.code ?? failure.kind.rawValue)",
                    "delay_ms": "\(delay.nanoseconds / 1_000_000)",
                ])
            try await Task.sleep(for: delay)
        }
    }

    /// An answer's body and the headers error handling reads.
    struct Answer {
        var data: Data
        var errorType: String? = nil
        var bucketRegion: String? = nil
    }

    private func execute(_ request: SigV4Request, target: AWSEndpoints.Target) async throws -> (Int, Answer) {
        var url = "\(target.scheme)://\(target.authority)\(request.path)"
        if !request.query.isEmpty { url += "?" + request.encodedQuery }
        var http = HTTPClientRequest(url: url)
        http.method = .init(rawValue: request.method)
        for (name, value) in request.headers { http.headers.add(name: name, value: value) }
        if !request.body.isEmpty || request.method == "POST" || request.method == "PUT" {
            http.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let response = try await self.http.execute(http, timeout: timeout)
        let buffer = try await response.body.collect(upTo: maxResponseBytes)
        return (
            Int(response.status.code),
            Answer(
                data: Data(buffer: buffer), errorType: response.headers.first(name: "x-amzn-errortype"),
                bucketRegion: response.headers.first(name: "x-amz-bucket-region"))
        )
    }

    /// Reads the error code and message from any of AWS's error shapes: EC2
    /// `<Response><Errors><Error>`, the query services' `<ErrorResponse><Error>`, S3's `<Error>`,
    /// and REST-JSON bodies with `__type`/`code` and `message`/`Message` (or the
    /// `x-amzn-ErrorType` header).
    static func errorFromAnswer(status: Int, body: Answer, call: AWSCall, region: String, attempts: Int) -> AWSCallFailure {
        var code: String?
        var message: String?
        var bucketRegion = body.bucketRegion
        if let header = body.errorType, !header.isEmpty {
            code = String(header.split(separator: ":").first ?? Substring(header))
        }
        let trimmed = body.data.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.first == UInt8(ascii: "<"), case .success(let tree) = XMLTree.parse(body.data) {
            let error = tree.first(named: "Error") ?? tree
            code = error.first(named: "Code")?.text ?? code
            message = error.first(named: "Message")?.text
            if let named = error.first(named: "Region")?.text, !named.isEmpty { bucketRegion = named }
        } else if trimmed.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: body.data) as? [String: Any]
        {
            if code == nil, let type = (object["__type"] ?? object["code"] ?? object["Code"]) as? String {
                // "com.amazon.coral.service#AccessDeniedException" -> "AccessDeniedException"
                code = String(type.split(separator: "#").last ?? Substring(type)).split(separator: ":").first.map(String.init)
            }
            message = (object["message"] ?? object["Message"] ?? object["errorMessage"]) as? String
        } else if !body.data.isEmpty {
            message = String(decoding: body.data.prefix(300), as: UTF8.self)
        }
        return AWSCallFailure(
            kind: AWSCallFailure.kind(status: status, code: code), action: call.action, service: call.service.iamPrefix,
            region: region, endpoint: "", code: code, message: message, httpStatus: status, attempts: attempts,
            bucketRegion: bucketRegion)
    }
}
