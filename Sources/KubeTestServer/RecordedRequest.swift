import Foundation
import KubeCore

/// A request as the server saw it, for tests that assert what a client sent.
public struct RecordedRequest: Sendable, Hashable {
    public var method: String
    /// Path without the query ("/apis/vtag.dev/v1alpha1/namespaces/ns/cloudresources/x").
    public var path: String
    /// Decoded query parameters (first value of each).
    public var query: [String: String]
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: Data?
    /// Authenticated user (token's user, certificate CN, or Impersonate-User); nil when unauthenticated.
    public var user: String?
    /// get, list, watch, create, update, patch, delete, deletecollection; "" for non-resource paths.
    public var verb: String
    /// Plural resource name ("widgets"); "" for non-resource paths.
    public var resource: String
    public var subresource: String?
    public var namespace: String?
    public var name: String?
    /// API group ("" for core).
    public var apiGroup: String
    public var apiVersion: String
    /// HTTP status the server answered (200 for a watch stream).
    public var responseStatus: Int
    /// "2" when the client negotiated HTTP/2 (ALPN h2), else "1.1".
    public var httpVersion: String = "1.1"

    /// The body decoded as JSON, when it is JSON.
    public var jsonBody: JSONValue? { body.flatMap { try? JSONValue.parseFast($0) } }
}
