import AsyncHTTPClient
import Foundation
import KubeCore
import KubeTestServer
import Testing

@Suite("Schema admission and built-in validation")
struct AdmissionTests {
    @Test func schemaViolationsAre422WithCauses() async throws {
        try await withWidgets { _, c in
            let r = try await c.post(widgets, ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": ["name": "bad"], "spec": ["size": -1, "color": "purple"]])
            #expect(r.status == 422)
            #expect(r.json["reason"] == "Invalid")
            let causes = r.json[path: "details", "causes"]?.arrayValue ?? []
            let fields = Set(causes.compactMap { $0["field"]?.stringValue })
            #expect(fields == ["spec.size", "spec.color", "<nil>"])
            #expect(causes.contains { $0["reason"] == "FieldValueNotSupported" && $0["message"] == "Unsupported value: \"purple\": supported values: \"red\", \"green\", \"blue\"" })
            #expect(causes.contains { $0["message"] == "Invalid value: -1: spec.size in body should be greater than or equal to 0" })
            let missing = try await c.post(widgets, ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": ["name": "bad2"], "spec": ["color": "green"]])
            #expect(missing.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "FieldValueRequired")
            let wrongType = try await c.post(widgets, ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": ["name": "bad3"], "spec": ["size": "big"]])
            #expect(wrongType.status == 422)
        }
    }

    @Test func unknownFieldsArePrunedWithWarningOrRefusedWhenStrict() async throws {
        try await withWidgets { _, c in
            let body: JSONValue = ["apiVersion": "example.test/v1", "kind": "Widget", "metadata": ["name": "extra"], "spec": ["size": 1, "unknownField": 5]]
            let r = try await c.post(widgets, body)
            #expect(r.status == 201)
            #expect(r.json[path: "spec", "unknownField"] == nil)
            #expect(r.header("Warning") == [#"299 - "unknown field \"spec.unknownField\"""#])
            var strict = body
            strict["metadata"] = ["name": "extra2"]
            let s = try await c.post(widgets, strict, query: "?fieldValidation=Strict")
            #expect(s.status == 400)
            #expect(s.json["message"] == "Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.unknownField\"")
            let malformed = try await c.send(.POST, widgets, body: Data("{not json".utf8))
            #expect(malformed.status == 400)
            #expect(malformed.json["reason"] == "BadRequest")
        }
    }

    @Test func leaseMicroTimeNeedsFraction() async throws {
        try await withServer { _, c in
            let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
            func lease(_ name: String, renew: String) -> JSONValue {
                ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": ["name": .string(name)],
                 "spec": ["holderIdentity": "a", "leaseDurationSeconds": 15, "acquireTime": "2026-11-22T02:00:00.123456Z", "renewTime": .string(renew)]]
            }
            let ok = try await c.post(leases, lease("l", renew: "2026-11-22T02:00:05.654321Z"))
            #expect(ok.status == 201)
            #expect(ok.json[path: "metadata", "generation"] == nil)
            let noFraction = try await c.post(leases, lease("bad", renew: "2026-11-22T02:00:05Z"))
            #expect(noFraction.status == 400)
            #expect(noFraction.json["message"] == "Lease in version \"v1\" cannot be handled as a Lease: parsing time \"2026-11-22T02:00:05Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot parse \"Z\" as \".000000\"")
            let garbage = try await c.post(leases, lease("bad2", renew: "22 Nov 2026"))
            #expect(garbage.status == 400)
            // Takeover with the current resourceVersion, then a stale one conflicts.
            var next = ok.json
            next["spec"]?["holderIdentity"] = "b"
            let taken = try await c.put("\(leases)/l", next)
            #expect(taken.status == 200)
            #expect(try await c.put("\(leases)/l", next).status == 409)
        }
    }

    @Test func eventsAndConfigMapSize() async throws {
        try await withServer { _, c in
            let ev: JSONValue = ["apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "b.1"], "eventTime": .null,
                                 "reportingController": "vtag.dev/operator", "reportingInstance": "pod-a", "action": "Tagged", "reason": "R", "type": "Normal"]
            let r = try await c.post("/apis/events.k8s.io/v1/namespaces/default/events", ev)
            #expect(r.status == 422)
            #expect(r.json["message"] == "Event \"b.1\" is invalid: eventTime: Required value")
            var good = ev
            good["eventTime"] = "2026-11-22T02:00:00.000001Z"
            #expect(try await c.post("/apis/events.k8s.io/v1/namespaces/default/events", good).status == 201)
            let core: JSONValue = ["metadata": ["name": "c.1"], "reason": "R", "message": "m", "type": "Normal",
                                   "involvedObject": ["kind": "Widget", "name": "a", "namespace": "default"]]
            #expect(try await c.post("/api/v1/namespaces/default/events", core).status == 201)
            let big: JSONValue = ["metadata": ["name": "big"], "data": ["m": .string(String(repeating: "x", count: 1_048_675))]]
            let b = try await c.post("/api/v1/namespaces/default/configmaps", big)
            #expect(b.status == 422)
            #expect(b.json[path: "details", "causes"]?.arrayValue?.first?["reason"] == "FieldValueTooLong")
        }
    }
}

@Suite("Authentication, faults, recording, kubeconfig")
struct AuthFaultTests {
    @Test func badOrMissingTokenIs401() async throws {
        try await withServer { server, _ in
            for token in ["wrong", nil] as [String?] {
                let c = try RawClient.make(server, token: token)
                let r = try await c.get("/api/v1/namespaces")
                #expect(r.status == 401)
                #expect(r.json["reason"] == "Unauthorized")
                #expect(r.json["message"] == "Unauthorized")
                try await c.shutdown()
            }
            let health = try RawClient.make(server, token: nil)
            #expect(try await health.get("/healthz").status == 200)
            #expect(try await health.get("/version").json["major"] == "1")
            try await health.shutdown()
        }
    }

    @Test func clientCertificateAuthenticatesAsItsCommonName() async throws {
        try await withServer { server, _ in
            let c = try RawClient.make(server, token: nil, clientCert: true)
            #expect(try await c.get("/api/v1/namespaces").status == 200)
            #expect(server.requests().last?.user == "cert-user")
            try await c.shutdown()
        }
    }

    @Test func forbiddenViaFaultInjection() async throws {
        try await withWidgets { server, c in
            _ = try await c.post(widgets, widget("a"))
            server.faults.forbid(verb: "patch", resource: "widgets/status", user: "alice")
            let r = try await c.send(.PATCH, "\(widgets)/a/status", body: Data(#"{"status":{"phase":"x"}}"#.utf8),
                                     contentType: "application/merge-patch+json", headers: ["Impersonate-User": "alice"])
            #expect(r.status == 403)
            #expect(r.json["message"] == "widgets.example.test \"a\" is forbidden: User \"alice\" cannot patch resource \"widgets/status\" in API group \"example.test\" in the namespace \"default\"")
            #expect(r.json[path: "details", "kind"] == "widgets")
            // Other users and verbs are unaffected.
            #expect(try await c.mergePatch("\(widgets)/a/status", ["status": ["phase": "x"]]).status == 200)
        }
    }

    @Test func injectedFailuresAndRetryAfter() async throws {
        try await withWidgets { server, c in
            server.faults.failNext(2, status: 429, retryAfterSeconds: 3, matching: "/apis/example.test")
            let first = try await c.get(widgets)
            #expect(first.status == 429)
            #expect(first.header("Retry-After") == ["3"])
            #expect(first.json["reason"] == "TooManyRequests")
            #expect(first.json[path: "details", "retryAfterSeconds"] == 3)
            #expect(try await c.get("/api/v1/namespaces").status == 200)  // other paths unaffected
            #expect(try await c.get(widgets).status == 429)
            #expect(try await c.get(widgets).status == 200)
            server.faults.failNext(1, status: 500)
            let e = try await c.get(widgets)
            #expect(e.status == 500)
            #expect(e.json["reason"] == "InternalError")
        }
    }

    @Test func latencyDelaysResponses() async throws {
        try await withServer { server, c in
            // An injected delay far beyond the client's deadline: the answer cannot arrive in time,
            // so the request fails with a timeout; without the fault the same request succeeds.
            server.faults.latency(.seconds(3))
            var req = HTTPClientRequest(url: c.base + "/api/v1/namespaces")
            req.headers.add(name: "Authorization", value: "Bearer test-token")
            do {
                _ = try await c.http.execute(req, timeout: .milliseconds(200))
                Issue.record("answered although 3 s of latency were injected")
            } catch {
                #expect(error is HTTPClientError, "expected a deadline error, got \(error)")
            }
            server.faults.latency(.zero)
            let answer = try await c.get("/api/v1/namespaces")
            #expect(answer.status == 200)
        }
    }

    @Test func requestsAreRecorded() async throws {
        try await withWidgets { server, c in
            server.clearRequests()
            _ = try await c.post(widgets, widget("a"))
            _ = try await c.mergePatch("\(widgets)/a/status?fieldManager=me", ["status": ["phase": "x"]])
            _ = try await c.get("\(widgets)?labelSelector=a%3Db")
            let rs = server.requests()
            #expect(rs.map(\.verb) == ["create", "patch", "list"])
            #expect(rs[0].resource == "widgets" && rs[0].namespace == "default" && rs[0].apiGroup == "example.test")
            #expect(rs[0].jsonBody?[path: "metadata", "name"] == "a")
            #expect(rs[0].responseStatus == 201)
            #expect(rs[1].subresource == "status" && rs[1].name == "a" && rs[1].query["fieldManager"] == "me")
            #expect(rs[1].headers["content-type"] == "application/merge-patch+json")
            #expect(rs[2].query["labelSelector"] == "a=b")
            #expect(rs.allSatisfy { $0.user == "test-user" })
        }
    }

    @Test func recordingCanBeTurnedOff() async throws {
        try await withServer(.init(recordRequests: false)) { server, c in
            let r = try await c.get("/api/v1/namespaces")
            #expect(r.status == 200)
            #expect(server.requests().isEmpty)
        }
    }

    @Test func kubeconfigVariantsAreWritten() async throws {
        try await withServer { server, _ in
            let text = try String(contentsOfFile: server.kubeconfigPath, encoding: .utf8)
            #expect(text.contains("server: \"\(server.url)\""))
            #expect(text.contains("certificate-authority-data: \(Data(server.certificates.caCert.utf8).base64EncodedString())"))
            #expect(text.contains("token: \"test-token\""))
            #expect(text.contains("current-context: \"test\""))
            #expect(text.contains("namespace: \"default\""))
            let p = server.directory + "/exec.yaml"
            try server.writeKubeconfig(to: p, user: .exec(command: "/bin/echo", args: ["x"], env: ["A": "1"]), trust: .caFile)
            let e = try String(contentsOfFile: p, encoding: .utf8)
            #expect(e.contains("apiVersion: client.authentication.k8s.io/v1"))
            #expect(e.contains("certificate-authority: \"\(server.certificates.caCertPath)\""))
            try server.writeKubeconfig(to: p, user: .clientCertFiles, trust: .insecure)
            let f = try String(contentsOfFile: p, encoding: .utf8)
            #expect(f.contains("insecure-skip-tls-verify: true"))
            #expect(f.contains("client-key: \"\(server.certificates.clientKeyPath)\""))
            #expect(server.certificates.clientCert.contains("BEGIN CERTIFICATE"))
        }
    }
}
