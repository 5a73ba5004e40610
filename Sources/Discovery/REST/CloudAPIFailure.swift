import Foundation

/// A GCP or Azure API call that failed (after retries), naming the API, the scope and what to grant
/// (thrown as `DiscoveryError.cloudAPI`).
public struct CloudAPIFailure: Sendable, CustomStringConvertible {
    /// What a person can do about each kind of failure, in the cloud's own terms.
    struct Hints: Sendable {
        /// After "grant PERMISSION on SCOPE".
        var denied: String
        var unauthenticated: String
        var throttled: String
        var unavailable: String
    }

    public enum Kind: String, Sendable {
        case denied, unauthenticated, throttled, unavailable, failed
    }

    public var api: String
    /// e.g. `projects/shop-prod`, `subscription 8f1e...`.
    public var scope: String
    public var httpStatus: Int
    /// Google's status (PERMISSION_DENIED, RESOURCE_EXHAUSTED) or ARM's code (AuthorizationFailed, RateLimiting).
    public var code: String?
    public var message: String?
    public var attempts: Int
    /// The permission the call needs.
    public var permission: String
    var hints: Hints

    /// Reads either cloud's error body: Google's `{"error": {"code": 403, "message", "status": "PERMISSION_DENIED"}}`
    /// or ARM's `{"error": {"code": "AuthorizationFailed", "message"}}`.
    init(api: String, scope: String, permission: String, hints: Hints, answer: RESTAnswer) {
        self.api = api
        self.scope = scope
        self.permission = permission
        self.hints = hints
        httpStatus = answer.status
        attempts = answer.attempts
        if let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
            let error = object["error"] as? [String: Any]
        {
            code = (error["status"] as? String) ?? (error["code"] as? String)
            message = error["message"] as? String
        } else if !answer.body.isEmpty {
            message = String(decoding: answer.body.prefix(300), as: UTF8.self)
        }
    }

    public var kind: Kind {
        switch (httpStatus, code) {
        case (403, _), (_, "PERMISSION_DENIED"?): .denied
        case (401, _), (_, "UNAUTHENTICATED"?): .unauthenticated
        case (429, _), (_, "RESOURCE_EXHAUSTED"?): .throttled
        case (500..., _): .unavailable
        default: .failed
        }
    }

    public var description: String {
        let detail = [code, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
        let head = "\(api) on \(scope)"
        let after = attempts > 1 ? " after \(attempts) attempts" : ""
        return switch kind {
        case .denied: "\(head) denied (HTTP \(httpStatus)): \(detail) (grant \(permission) on \(scope), \(hints.denied))"
        case .unauthenticated: "\(head) rejected the access token (HTTP \(httpStatus)): \(detail) (\(hints.unauthenticated))"
        case .throttled: "\(head) throttled\(after) (HTTP \(httpStatus)): \(detail) (\(hints.throttled))"
        case .unavailable: "\(head) failed\(after) (HTTP \(httpStatus)): \(detail) (\(hints.unavailable))"
        case .failed: "\(head) failed (HTTP \(httpStatus)): \(detail)"
        }
    }
}

/// A token endpoint refused to sign in: nothing can be listed, so the run fails (thrown as `DiscoveryError.signIn`).
public struct CloudSignInFailure: Sendable, CustomStringConvertible {
    /// e.g. "OAuth token exchange at https://oauth2.googleapis.com/token".
    public var endpoint: String
    /// Who tried, e.g. "service account a@b.iam.gserviceaccount.com".
    public var credentials: String
    public var httpStatus: Int
    public var detail: String
    /// What to check.
    var hint: String

    /// Reads OAuth's error body: `{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}`.
    init(endpoint: String, credentials: String, hint: String, answer: RESTAnswer) {
        self.endpoint = endpoint
        self.credentials = credentials
        self.hint = hint
        httpStatus = answer.status
        if let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any] {
            detail = [object["error"] as? String, object["error_description"] as? String].compactMap { $0 }.joined(separator: ": ")
        } else {
            detail = String(decoding: answer.body.prefix(300), as: UTF8.self)
        }
    }

    public var description: String {
        let what = httpStatus == 200 ? "the answer was not an OAuth token; is the endpoint right?" : hint
        return "\(endpoint) refused \(credentials) (HTTP \(httpStatus))\(detail.isEmpty ? "" : ": \(detail)") (\(what))"
    }
}
