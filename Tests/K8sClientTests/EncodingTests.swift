import Foundation
import KubeCore
import Testing
@testable import K8sClient

@Suite("what the client sends")
struct EncodingTests {
    @Test func absentOptionalsAreOmitted() throws {
        let cm = ConfigMap(metadata: ObjectMeta(name: "a", namespace: "ns"), data: ["k": "v"])
        let json = try JSONValue.from(cm)
        #expect(json["binaryData"] == nil)
        #expect(json["immutable"] == nil)
        #expect(json[path: "metadata", "labels"] == nil)
        #expect(json["kind"] == .string("ConfigMap"))
    }

    @Test func leaseTimesAreMicroTime() throws {
        let t = Date(timeIntervalSince1970: 1_790_000_000.123456)
        let lease = Lease(metadata: ObjectMeta(name: "l"), spec: .init(holderIdentity: "me", leaseDurationSeconds: 15, acquireTime: MicroTime(t), renewTime: MicroTime(t)))
        let json = try JSONValue.from(lease)
        let renew = try #require(json[path: "spec", "renewTime"]?.stringValue)
        #expect(renew.hasSuffix(".123456Z"))
        #expect(json.serialized().count > 0)
        let back = try json.decode(Lease.self)
        #expect(abs(back.spec!.renewTime!.date.timeIntervalSince(t)) < 0.000_002)
    }

    @Test func mergePatchNullDeletesAndTypedMergeOmits() throws {
        let p = Patch.merge(.object(["metadata": .object(["labels": .object(["gone": .null, "kept": .string("x")])])]))
        #expect(String(decoding: p.body, as: UTF8.self) == #"{"metadata":{"labels":{"gone":null,"kept":"x"}}}"#)
        #expect(p.kind.rawValue == "application/merge-patch+json")
        struct Partial: Encodable { var a: String?; var b: Int? }
        let typed = try Patch.merge(encoding: Partial(a: "x", b: nil))
        #expect(String(decoding: typed.body, as: UTF8.self) == #"{"a":"x"}"#)
    }

    @Test func deleteOptionsBody() throws {
        let params = DeleteParams(propagationPolicy: .foreground, preconditions: .init(uid: "u-1", resourceVersion: "9"))
        let json = try JSONValue.parse(KubeJSON.encoder().encode(params))
        #expect(json["kind"] == .string("DeleteOptions"))
        #expect(json["propagationPolicy"] == .string("Foreground"))
        #expect(json[path: "preconditions", "uid"] == .string("u-1"))
        #expect(json["gracePeriodSeconds"] == nil)
    }

    @Test func jsonPatchEscapesPointerSegments() {
        #expect(JSONPatchOperation.escape("vtag.dev/owner~x") == "vtag.dev~1owner~0x")
    }

    @Test func secretDataIsBase64OnTheWire() throws {
        let s = Secret(metadata: ObjectMeta(name: "s"), data: ["key": Data("secret".utf8)])
        let json = try JSONValue.from(s)
        #expect(json[path: "data", "key"] == .string(Data("secret".utf8).base64EncodedString()))
        #expect(try json.decode(Secret.self).string("key") == "secret")
    }

    @Test func yamlDocumentsKeepQuotedStringsAsStrings() throws {
        let docs = try YAMLDocuments.parse("""
            a: "true"
            b: true
            c: 3
            ---
            ---
            d: [x, 1.5]
            """)
        #expect(docs.count == 2)
        #expect(docs[0]["a"] == .string("true"))
        #expect(docs[0]["b"] == .bool(true))
        #expect(docs[0]["c"] == .int(3))
        #expect(docs[1]["d"] == .array([.string("x"), .double(1.5)]))
    }

    @Test func queryValuesArePercentEncoded() {
        #expect(KubeClient.percentEncode("app in (a,b),!x") == "app%20in%20%28a%2Cb%29%2C%21x")
    }

    @Test func unreservedTextStaysAsItIsAndTheRestIsEscaped() {
        #expect(KubeClient.percentEncode("vm-01.prod_a~Z9") == "vm-01.prod_a~Z9")
        #expect(KubeClient.percentEncode("") == "")
        #expect(KubeClient.percentEncode("vm/01") == "vm%2F01")
        #expect(KubeClient.percentEncode("née") == "n%C3%A9e")
    }
}
