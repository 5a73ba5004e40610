/// A failed AWS call, classified so the message tells a person what to do (thrown as `DiscoveryError.awsCall`).
public struct AWSCallFailure: Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The key, secret, token or signature was not accepted.
        case credentialsRejected
        /// The principal lacks an IAM permission.
        case notAuthorized
        /// Still throttled when the retries ran out.
        case throttled
        /// 5xx or a transient error code when the retries ran out.
        case unavailable
        /// Any other error the service returned (its code says which).
        case serviceError
        /// No HTTP answer: DNS, connection, TLS, timeout.
        case unreachable
        /// An answer we could not read.
        case badResponse
    }

    public var kind: Kind
    /// The IAM action, e.g. `rds:DescribeDBInstances`.
    public var action: String
    /// The service's short name as IAM spells it (`ec2`, `sts`, `elasticloadbalancing`, ...).
    public var service: String
    public var region: String
    /// The endpoint called (scheme://host), for unreachable errors.
    public var endpoint: String
    public var code: String?
    public var message: String?
    public var httpStatus: Int?
    public var attempts: Int
    /// S3 names a bucket's region in some errors (a wrong-region answer says where the bucket is).
    public var bucketRegion: String? = nil

    static let credentialCodes: Set<String> = [
        "InvalidClientTokenId", "SignatureDoesNotMatch", "AuthFailure", "UnrecognizedClientException", "InvalidAccessKeyId",
        "ExpiredToken", "ExpiredTokenException", "InvalidToken", "IncompleteSignature", "MissingAuthenticationToken",
        "InvalidSignatureException", "RequestExpired", "InvalidIdentityToken", "IDPRejectedClaim",
    ]

    static let authorizationCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationError", "UnauthorizedAccess",
        "Forbidden", "AllAccessDisabled",
    ]

    /// Classifies an HTTP error answer.
    static func kind(status: Int, code: String?) -> Kind {
        if let code {
            if credentialCodes.contains(code) { return .credentialsRejected }
            if authorizationCodes.contains(code) { return .notAuthorized }
            if AWSRetryPolicy.throttlingCodes.contains(code) { return .throttled }
            if AWSRetryPolicy.transientCodes.contains(code) { return .unavailable }
        }
        if status == 429 { return .throttled }
        if status >= 500 { return .unavailable }
        if status == 403 && code == nil { return .notAuthorized }
        return .serviceError
    }

    var isRetryable: Bool {
        switch kind {
        case .throttled, .unavailable, .unreachable: true
        default: false
        }
    }

    private var detail: String {
        switch (code, message) {
        case let (c?, m?) where !m.isEmpty: "\(c): \(m)"
        case let (c?, _): c
        case let (nil, m?) where !m.isEmpty: "HTTP \(httpStatus.map(String.init) ?? "?"): \(m)"
        default: "HTTP \(httpStatus.map(String.init) ?? "?")"
        }
    }

    private var afterAttempts: String { attempts > 1 ? " after \(attempts) attempts" : "" }

    public var description: String {
        switch kind {
        case .credentialsRejected:
            "credentials rejected by \(service) in \(region): \(detail) (check the access key id, secret and session token in the credentials Secret, or the role the operator assumes)"
        case .notAuthorized:
            "not authorized to call \(action) in \(region): \(detail) (grant \(action) to the discovery principal)"
        case .throttled:
            "throttled by \(service) in \(region) on \(action)\(afterAttempts): \(detail) (run the job less often or in fewer regions at once)"
        case .unavailable:
            "\(service) in \(region) failed on \(action)\(afterAttempts): \(detail) (an AWS-side problem; the next run retries)"
        case .serviceError:
            "\(action) in \(region) failed: \(detail)"
        case .unreachable:
            "cannot reach \(endpoint) for \(action) in \(region)\(afterAttempts): \(message ?? "no answer") (check endpointURL, DNS and network egress)"
        case .badResponse:
            "unexpected answer from \(action) in \(region): \(message ?? "unreadable") (is endpointURL an AWS-compatible endpoint?)"
        }
    }
}
