import Foundation
import Testing
@testable import K8sClient

@Suite("API failures become typed errors")
struct KubeErrorTests {
    func status(_ code: Int, _ reason: String, causes: String = "") -> Data {
        Data(#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m","reason":"\#(reason)","details":{"name":"x"\#(causes)},"code":\#(code)}"#.utf8)
    }

    @Test func mapping() {
        #expect(KubeClientError.from(code: 404, body: status(404, "NotFound")).isNotFound)
        #expect(KubeClientError.from(code: 409, body: status(409, "AlreadyExists")).isAlreadyExists)
        #expect(KubeClientError.from(code: 409, body: status(409, "Conflict")).isConflict)
        #expect(KubeClientError.from(code: 410, body: status(410, "Expired")).isGone)
        #expect(KubeClientError.from(code: 403, body: status(403, "Forbidden")).isForbidden)
        #expect(KubeClientError.from(code: 401, body: status(401, "Unauthorized")).isUnauthorized)
        #expect(KubeClientError.from(code: 500, body: status(500, "InternalError")).isServerError)
        #expect(KubeClientError.from(code: 503, body: status(503, "ServiceUnavailable")).isServerError)
        if case .badRequest = KubeClientError.from(code: 400, body: status(400, "BadRequest")) {} else { Issue.record("400 is not badRequest") }
        if case .other(let s) = KubeClientError.from(code: 405, body: status(405, "MethodNotAllowed")) { #expect(s.code == 405) } else { Issue.record("405 is not other") }
    }

    @Test func invalidCarriesItsCauses() {
        let body = status(422, "Invalid", causes: #","causes":[{"reason":"FieldValueInvalid","message":"Invalid value","field":"spec.priority"}]"#)
        let error = KubeClientError.from(code: 422, body: body)
        guard case .invalid(_, let causes) = error else { Issue.record("not invalid"); return }
        #expect(causes.map(\.field) == ["spec.priority"])
        #expect(error.description.contains("spec.priority"))
    }

    @Test func tooManyRequestsTakesRetryAfterFromHeaderOrDetails() {
        let fromDetails = KubeClientError.from(code: 429, body: status(429, "TooManyRequests", causes: #","retryAfterSeconds":3"#))
        guard case .tooManyRequests(_, let after) = fromDetails else { Issue.record("not 429"); return }
        #expect(after == .seconds(3))
        guard case .tooManyRequests(_, let header) = KubeClientError.from(code: 429, body: Data(), retryAfter: .seconds(7)) else { Issue.record("not 429"); return }
        #expect(header == .seconds(7))
    }

    @Test func nonStatusBodyKeepsTheTextAndCode() {
        let error = KubeClientError.from(code: 502, body: Data("<html>bad gateway</html>".utf8))
        #expect(error.isServerError)
        #expect(error.status?.code == 502)
        #expect(error.status?.message?.contains("bad gateway") == true)
    }
}
