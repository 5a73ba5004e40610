import Foundation
import KubeCore
import KubeTestServer
import Testing

/// CEL (`x-kubernetes-validations`) as the test server evaluates it: the project's own CRDs, rules outside the
/// subset, and the transition rule that makes a TagApproval's decision final.
@Suite("CEL validation")
struct CELValidationTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var crdFiles: [String] {
        let dir = repoRoot.appendingPathComponent("crds")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    static let approvals = "/apis/vtag.dev/v1alpha1/namespaces/default/tagapprovals"

    static func approval(_ name: String, spec: [String: JSONValue] = [:]) -> JSONValue {
        var s: [String: JSONValue] = [
            "key": "team", "value": "payments", "source": "model",
            "resources": [["name": "r1", "confidence": 0.9, "reason": "similar resources"]],
        ]
        for (k, v) in spec { s[k] = v }
        return ["apiVersion": "vtag.dev/v1alpha1", "kind": "TagApproval", "metadata": ["name": .string(name)], "spec": .object(s)]
    }

    @Test func projectCRDsInstallWithTheirRules() async throws {
        let files = Self.crdFiles
        #expect(files.count >= 4)
        try await withServer(.init(crdFiles: files)) { _, c in
            let r = try await c.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/tagapprovals.vtag.dev")
            #expect(r.status == 200)
        }
    }

    /// The "decision is final" rule is the only guard against two people deciding at once.
    @Test func tagApprovalDecisionIsFinal() async throws {
        try await withServer(.init(crdFiles: Self.crdFiles)) { _, c in
            let version = try await c.get("/apis/vtag.dev/v1alpha1")
            #expect(version.status == 200)
            let path = Self.approvals
            #expect(try await c.post(path, Self.approval("a1")).status == 201)
            let status = path + "/a1/status"
            let first = try await c.mergePatch(status, ["status": ["decision": "Approved", "decidedBy": "alice"]])
            #expect(first.status == 200, "\(first.json.compactString())")
            #expect(first.json[path: "status", "decision"] == "Approved")

            let second = try await c.mergePatch(status, ["status": ["decision": "Denied", "decidedBy": "bob"]])
            #expect(second.status == 422)
            #expect(second.json["reason"] == "Invalid")
            let causes = second.json[path: "details", "causes"]?.arrayValue ?? []
            #expect(causes.count == 1)
            #expect(causes.first?["field"] == "status.decision")
            #expect(causes.first?["reason"] == "FieldValueForbidden")
            #expect(causes.first?["message"]?.stringValue?.hasPrefix("Forbidden: status.decision is final once made") == true)

            let removed = try await c.mergePatch(status, ["status": ["decision": .null]])
            #expect(removed.status == 422)
            // Other status fields still change, and the same decision may be written again.
            let same = try await c.mergePatch(status, ["status": ["decision": "Approved", "phase": "Applied"]])
            #expect(same.status == 200)
            let now = try await c.get(path + "/a1")
            #expect(now.json[path: "status", "decision"] == "Approved")
            #expect(now.json[path: "status", "decidedBy"] == "alice")
            #expect(now.json[path: "status", "phase"] == "Applied")
        }
    }

    @Test func specRulesOfTheProjectCRDsAreEnforced() async throws {
        try await withServer(.init(crdFiles: Self.crdFiles)) { _, c in
            let r = try await c.post(Self.approvals, Self.approval("a2", spec: ["source": "rule"]))
            #expect(r.status == 422)
            #expect(r.json["message"] == "TagApproval.vtag.dev \"a2\" is invalid: spec: Required value: spec.rule is required when source is rule")
            let count = try await c.post(Self.approvals, Self.approval("a3", spec: ["resourceCount": 2]))
            #expect(count.status == 422)
            #expect(count.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "spec.resourceCount")
            #expect(try await c.post(Self.approvals, Self.approval("a4", spec: ["resourceCount": 1])).status == 201)
        }
    }

    @Test func nameTemplatesNeedANameRegex() async throws {
        try await withServer(.init(crdFiles: Self.crdFiles)) { _, c in
            let path = "/apis/vtag.dev/v1alpha1/namespaces/default/taggingrules"
            func rule(_ name: String, match: JSONValue?) -> JSONValue {
                var spec: JSONValue = ["tags": [["key": "team", "value": "${name.team}"]]]
                if let match { spec["match"] = match }
                return ["apiVersion": "vtag.dev/v1alpha1", "kind": "TaggingRule", "metadata": ["name": .string(name)], "spec": spec]
            }
            let ok = try await c.post(path, rule("ok", match: ["types": ["ec2:instance"], "name": ["regex": "^(?<team>[a-z]+)-"]]))
            #expect(ok.status == 201, "\(ok.json.compactString())")
            let bad = try await c.post(path, rule("bad", match: ["types": ["ec2:instance"]]))
            #expect(bad.status == 422)
            #expect(bad.json[path: "details", "causes"]?.arrayValue?.first?["field"] == "spec.tags")
        }
    }

    static func gadgetCRD(rules: JSONValue, specProperties: JSONValue = ["n": ["type": "integer"], "s": ["type": "string", "maxLength": 10]]) -> JSONValue {
        let schema: JSONValue = ["type": "object", "properties": [
            "spec": ["type": "object", "properties": specProperties, "x-kubernetes-validations": rules],
        ]]
        return ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": ["name": "gizmos.example.test"],
                "spec": ["group": "example.test", "scope": "Namespaced",
                         "names": ["plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"],
                         "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": schema]]]]]
    }

    @Test func ruleOutsideTheSubsetIsRefusedAtCRDCreation() async throws {
        try await withServer { _, c in
            let r = try await c.post(crds, Self.gadgetCRD(rules: [["rule": "self.s.lowerAscii().split('-').size() > 0"]]))
            #expect(r.status == 422)
            let message = r.json[path: "details", "causes"]?.arrayValue?.first?["message"]?.stringValue ?? ""
            #expect(message.contains("function 'split' is outside the CEL subset"), "\(message)")
            #expect(try await c.get(crds + "/gizmos.example.test").status == 404)
        }
    }

    @Test func rulesThatDoNotCompileAreRefusedOnePerRule() async throws {
        try await withServer { _, c in
            let r = try await c.post(crds, Self.gadgetCRD(rules: [
                ["rule": "self.nosuchfield == 1"], ["rule": "self.n == 'x'"], ["rule": "self.n >"], ["rule": "self.n > 1"],
            ]))
            #expect(r.status == 422)
            let causes = r.json[path: "details", "causes"]?.arrayValue ?? []
            #expect(causes.compactMap { $0["field"]?.stringValue } == (0..<3).map { "spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[\($0)].rule" })
            let messages = causes.compactMap { $0["message"]?.stringValue }
            #expect(messages.first?.contains("ERROR: <input>:1:5: undefined field 'nosuchfield'") == true)
            #expect(messages.dropFirst().first?.contains("found no matching overload for '_==_' applied to '(int, string)'") == true)
            #expect(messages.last?.contains("Syntax error: mismatched input '<EOF>'") == true)
        }
    }

    @Test func quadraticRuleOverUnboundedListIsTooCostly() async throws {
        try await withServer { _, c in
            let r = try await c.post(crds, Self.gadgetCRD(
                rules: [["rule": "self.names.all(a, self.names.all(b, a == b || !a.contains(b)))"]],
                specProperties: ["names": ["type": "array", "items": ["type": "string"]]]))
            #expect(r.status == 422)
            let reasons = (r.json[path: "details", "causes"]?.arrayValue ?? []).compactMap { $0["reason"]?.stringValue }
            #expect(reasons == ["FieldValueForbidden", "FieldValueForbidden", "FieldValueForbidden"])
            // With bounds the same rule is cheap enough.
            let bounded = try await c.post(crds, Self.gadgetCRD(
                rules: [["rule": "self.names.all(a, self.names.all(b, a == b || !a.contains(b)))"]],
                specProperties: ["names": ["type": "array", "maxItems": 10, "items": ["type": "string", "maxLength": 20]]]))
            #expect(bounded.status == 201)
        }
    }

    @Test func operatorsAndFunctionsEvaluate() async throws {
        let rules: JSONValue = [
            ["rule": "!has(self.s) || (self.s.startsWith('a') && self.s.endsWith('z'))", "message": "a..z"],
            ["rule": "!has(self.s) || self.s.matches('^[a-z]+$')", "message": "lower"],
            ["rule": "!has(self.n) || (self.n % 2 == 0 ? self.n >= 0 : self.n < 0)", "message": "parity"],
            ["rule": "!has(self.l) || (self.l.exists(x, x == 'k') && 'k' in self.l && size(self.l) <= 3)", "message": "k"],
            ["rule": "!has(self.l) || self.l.all(x, x.size() == 1)", "messageExpression": "'items: %s'.format([self.l])"],
        ]
        let props: JSONValue = ["n": ["type": "integer"], "s": ["type": "string", "maxLength": 10],
                                "l": ["type": "array", "maxItems": 5, "items": ["type": "string", "maxLength": 5]]]
        try await withServer { (_, c) async throws -> Void in
            #expect(try await c.post(crds, Self.gadgetCRD(rules: rules, specProperties: props)).status == 201)
            let path = "/apis/example.test/v1/namespaces/default/gizmos"
            func create(_ name: String, _ spec: JSONValue) async throws -> [String] {
                let r = try await c.post(path, ["apiVersion": "example.test/v1", "kind": "Gizmo", "metadata": ["name": .string(name)], "spec": spec])
                if r.status == 201 { return [] }
                return (r.json[path: "details", "causes"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
            }
            #expect(try await create("ok", ["s": "abz", "n": 4, "l": ["k", "j"]]) == [])
            #expect(try await create("s1", ["s": "bz"]) == ["Invalid value: a..z"])
            #expect(try await create("s2", ["s": "aBz"]) == ["Invalid value: lower"])
            #expect(try await create("n1", ["n": 3]) == ["Invalid value: parity"])
            #expect(try await create("n2", ["n": -3]) == [])
            #expect(try await create("l1", ["l": ["j"]]) == ["Invalid value: k"])
            #expect(try await create("l2", ["l": ["k", "jj"]]) == ["Invalid value: items: [k, jj]"])
        }
    }
}
