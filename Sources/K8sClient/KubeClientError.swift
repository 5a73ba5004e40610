import Foundation
import KubeCore

/// Every failure of the Kubernetes client and its runtime: one type for the module (docs/ARCHITECTURE.md,
/// "Errors"). API failures carry the server's Status; transport and decoding failures are distinct cases
/// so callers can tell "the server said no" from "we never got an answer"; a configuration problem names
/// the file, context and field to fix.
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    case notFound(StatusResponse)
    case alreadyExists(StatusResponse)
    case conflict(StatusResponse)
    /// 422: the object was refused by validation; `causes` name the fields.
    case invalid(StatusResponse, causes: [StatusResponse.Cause])
    /// 410: a resourceVersion too old to serve (watch/list must start over).
    case gone(StatusResponse)
    case forbidden(StatusResponse)
    case unauthorized(StatusResponse)
    case tooManyRequests(StatusResponse, retryAfter: Duration?)
    case badRequest(StatusResponse)
    case serverError(StatusResponse)
    case other(StatusResponse)
    /// No HTTP answer: connection refused or reset, TLS failure, timeout.
    case transport(method: String, url: String, message: String)
    /// An answer we could not decode as the expected type.
    case decoding(type: String, message: String)
    /// A request the client refuses to send (e.g. apply without a field manager).
    case invalidRequest(String)
    /// A kubeconfig, in-cluster or credential-plugin setting that cannot work.
    case configuration(ConfigurationProblem)
    /// Leader-election settings that break client-go's rules (e.g. leaseDuration <= renewDeadline).
    case invalidLeaderElection(String)
    /// `Manager.run()` was called a second time.
    case managerAlreadyRun
    /// A watch stream sent a line longer than `limit` bytes (a broken stream must not eat all memory).
    case watchLineTooLong(limit: Int)

    /// A configuration problem, naming where it is: the file, the context and the field. Its description
    /// is meant to be read by the person who has to fix the file.
    public struct ConfigurationProblem: Sendable, Hashable, CustomStringConvertible {
        /// The kubeconfig file (or in-cluster directory) at fault, when there is one.
        public var file: String?
        public var context: String?
        /// Path of the bad field, e.g. `users[dev].user.client-key-data`.
        public var field: String?
        public var message: String

        public init(file: String? = nil, context: String? = nil, field: String? = nil, _ message: String) {
            self.file = file
            self.context = context
            self.field = field
            self.message = message
        }

        public var description: String {
            var parts: [String] = []
            if let file { parts.append("kubeconfig \(file)") }
            if let context { parts.append("context \"\(context)\"") }
            if let field { parts.append("field \(field)") }
            return parts.isEmpty ? message : parts.joined(separator: ", ") + ": " + message
        }
    }

    /// The configuration problem, for `.configuration` failures.
    public var configurationProblem: ConfigurationProblem? {
        if case .configuration(let problem) = self { return problem } else { return nil }
    }

    /// The API Status, for API failures.
    public var status: StatusResponse? {
        switch self {
        case .notFound(let s), .alreadyExists(let s), .conflict(let s), .invalid(let s, _), .gone(let s), .forbidden(let s),
             .unauthorized(let s), .tooManyRequests(let s, _), .badRequest(let s), .serverError(let s), .other(let s):
            return s
        case .transport, .decoding, .invalidRequest, .configuration, .invalidLeaderElection, .managerAlreadyRun, .watchLineTooLong:
            return nil
        }
    }

    /// HTTP status code of an API failure.
    public var code: Int? { status?.code }

    public var isNotFound: Bool { if case .notFound = self { return true } else { return false } }
    public var isAlreadyExists: Bool { if case .alreadyExists = self { return true } else { return false } }
    public var isConflict: Bool { if case .conflict = self { return true } else { return false } }
    public var isInvalid: Bool { if case .invalid = self { return true } else { return false } }
    public var isGone: Bool { if case .gone = self { return true } else { return false } }
    public var isForbidden: Bool { if case .forbidden = self { return true } else { return false } }
    public var isUnauthorized: Bool { if case .unauthorized = self { return true } else { return false } }
    public var isTooManyRequests: Bool { if case .tooManyRequests = self { return true } else { return false } }
    public var isServerError: Bool { if case .serverError = self { return true } else { return false } }
    public var isTransport: Bool { if case .transport = self { return true } else { return false } }

    /// Maps an error HTTP answer to a case. The body is normally a metav1.Status; anything else
    /// (a proxy's HTML page) becomes a Status carrying the text.
    public static func from(code: Int, body: Data, retryAfter: Duration? = nil) -> KubeClientError {
        var status: StatusResponse
        if let decoded = try? KubeJSON.decoder().decode(StatusResponse.self, from: body), decoded.kind == "Status" || decoded.reason != nil {
            status = decoded
        } else {
            let text = String(decoding: body.prefix(1000), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            status = StatusResponse(message: text.isEmpty ? "HTTP \(code)" : text, reason: nil, code: code)
        }
        if status.code == nil || status.code == 0 { status.code = code }
        return from(status: status, retryAfter: retryAfter)
    }

    /// Maps a Status (from an error answer or a watch ERROR event) to a case.
    public static func from(status: StatusResponse, retryAfter: Duration? = nil) -> KubeClientError {
        let code = status.code ?? 0
        switch (code, status.reason ?? "") {
        case (404, _), (_, "NotFound"): return .notFound(status)
        case (409, "AlreadyExists"), (_, "AlreadyExists"): return .alreadyExists(status)
        case (409, _), (_, "Conflict"): return .conflict(status)
        case (422, _), (_, "Invalid"): return .invalid(status, causes: status.details?.causes ?? [])
        case (410, _), (_, "Gone"), (_, "Expired"): return .gone(status)
        case (403, _), (_, "Forbidden"): return .forbidden(status)
        case (401, _), (_, "Unauthorized"): return .unauthorized(status)
        case (429, _), (_, "TooManyRequests"):
            let after = retryAfter ?? status.details?.retryAfterSeconds.map { Duration.seconds($0) }
            return .tooManyRequests(status, retryAfter: after)
        case (400, _), (_, "BadRequest"): return .badRequest(status)
        case (500...599, _): return .serverError(status)
        default: return .other(status)
        }
    }

    public var description: String {
        switch self {
        case .transport(let method, let url, let message): return "\(method) \(url): transport error: \(message)"
        case .decoding(let type, let message): return "cannot decode the answer as \(type): \(message)"
        case .invalidRequest(let message): return "invalid request: \(message)"
        case .configuration(let problem): return problem.description
        case .invalidLeaderElection(let message): return "leader election: \(message)"
        case .managerAlreadyRun: return "a manager runs once; make a new one (with new informers and controllers) to run again"
        case .watchLineTooLong(let limit):
            return "a watch event line exceeds \(limit) bytes: the stream is broken, or one object is larger than the client reads (LineSplitter.maxLineBytes)"
        case .invalid(let s, let causes):
            let detail = causes.map { "\($0.field ?? "?"): \($0.message ?? $0.reason ?? "")" }.joined(separator: "; ")
            return "Invalid (422): \(s.message ?? "")" + (detail.isEmpty || (s.message ?? "").contains(detail) ? "" : " [\(detail)]")
        default:
            let s = status!
            return "\(s.reason ?? "Error") (\(s.code ?? 0)): \(s.message ?? "")"
        }
    }
}
