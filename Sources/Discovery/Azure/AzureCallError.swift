import Foundation

/// A Resource Graph query that failed (after retries), naming the API, the scope and what to grant.
public struct AzureCallError: Error, Sendable, CustomStringConvertible {
    public var api: String
    /// e.g. `subscription 0000...` or `management group finance`.
    public var scope: String
    public var httpStatus: Int
    /// ARM's error code, e.g. AuthorizationFailed, RateLimiting.
    public var code: String?
    public var message: String?
    public var attempts: Int
    public var permission: String

    /// Reads ARM's error body: `{"error": {"code": "AuthorizationFailed", "message": "..."}}`.
    init(api: String, scope: String, permission: String, answer: RESTAnswer) {
        self.api = api
        self.scope = scope
        self.permission = permission
        httpStatus = answer.status
        attempts = answer.attempts
        if let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
            let error = object["error"] as? [String: Any]
        {
            code = error["code"] as? String
            message = error["message"] as? String
        } else if !answer.body.isEmpty {
            message = String(decoding: answer.body.prefix(300), as: UTF8.self)
        }
    }

    private var detail: String { [code, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ") }

    public var description: String {
        let head = "\(api) on \(scope)"
        let after = attempts > 1 ? " after \(attempts) attempts" : ""
        switch httpStatus {
        case 403:
            return "\(head) denied (HTTP 403): \(detail) (grant \(permission) on the \(scope), e.g. the Reader role)"
        case 401:
            return "\(head) rejected the access token (HTTP 401): \(detail) (check the tenant of the credentials)"
        case 429:
            return "\(head) throttled\(after) (HTTP 429): \(detail) (Resource Graph allows 15 queries per 5 seconds per user; run the job less often)"
        case 500...:
            return "\(head) failed\(after) (HTTP \(httpStatus)): \(detail) (an Azure-side problem; the next run retries)"
        default:
            return "\(head) failed (HTTP \(httpStatus)): \(detail)"
        }
    }
}
