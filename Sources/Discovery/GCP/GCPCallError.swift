import Foundation

/// A Cloud Asset API call that failed (after retries), naming the API, the scope and what to grant.
public struct GCPCallError: Error, Sendable, CustomStringConvertible {
    public var api: String
    public var scope: String
    public var httpStatus: Int
    /// The google.rpc status, e.g. PERMISSION_DENIED, RESOURCE_EXHAUSTED.
    public var status: String?
    public var message: String?
    public var attempts: Int
    /// The IAM permission the call needs.
    public var permission: String

    /// Reads Google's error body: `{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED"}}`.
    init(api: String, scope: String, permission: String, answer: RESTAnswer) {
        self.api = api
        self.scope = scope
        self.permission = permission
        httpStatus = answer.status
        attempts = answer.attempts
        if let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
            let error = object["error"] as? [String: Any]
        {
            status = error["status"] as? String
            message = error["message"] as? String
        } else if !answer.body.isEmpty {
            message = String(decoding: answer.body.prefix(300), as: UTF8.self)
        }
    }

    private var detail: String {
        [status, message].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
    }

    public var description: String {
        let head = "\(api) on \(scope)"
        let after = attempts > 1 ? " after \(attempts) attempts" : ""
        switch (httpStatus, status) {
        case (403, _), (_, "PERMISSION_DENIED"?):
            return "\(head) denied (HTTP \(httpStatus)): \(detail) (grant \(permission) on \(scope), e.g. roles/cloudasset.viewer, and enable cloudasset.googleapis.com in the caller's project)"
        case (401, _), (_, "UNAUTHENTICATED"?):
            return "\(head) rejected the access token (HTTP \(httpStatus)): \(detail) (check the service-account key or the workload identity binding)"
        case (429, _), (_, "RESOURCE_EXHAUSTED"?):
            return "\(head) throttled\(after) (HTTP \(httpStatus)): \(detail) (run the job less often; the quota is per caller project)"
        case (500..., _):
            return "\(head) failed\(after) (HTTP \(httpStatus)): \(detail) (a Google-side problem; the next run retries)"
        default:
            return "\(head) failed (HTTP \(httpStatus)): \(detail)"
        }
    }
}
