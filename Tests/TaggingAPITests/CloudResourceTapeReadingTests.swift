import Foundation
import KubeCore
import Testing
@testable import TaggingAPI

/// CloudResource read straight off the JSON tape (the watch's fast path) gives what Foundation's JSONDecoder
/// gives, on every field, and fails where it fails with the same kind of error at the same path.
@Suite struct CloudResourceTapeReadingTests {
    func fast<T: TapeDecodable>(_ type: T.Type, _ json: String) throws -> T {
        var bytes = Array(json.utf8)
        return try bytes.withUnsafeMutableBufferPointer { b in
            try TapeBox.reading(UnsafeBufferPointer(b)) { try $0.decode(T.self, at: 0) }
        }
    }

    func foundation<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try KubeJSON.decoder().decode(T.self, from: Data(json.utf8))
    }

    /// A resource with every field of every part set, as the operator writes it.
    static let full: CloudResource = {
        let t = Date(timeIntervalSince1970: 1_790_000_000)
        var r = CloudResource(
            metadata: ObjectMeta(
                name: "aws-ec2-i-0abc", generateName: "aws-", namespace: "vtag-inventory", uid: "6c1d7f4e", resourceVersion: "812",
                generation: 3, creationTimestamp: t, deletionTimestamp: t.addingTimeInterval(60), labels: ["vtag.dev/provider": "aws"],
                annotations: ["note": "ünïcode ✓ \"quoted\" \\ back\nslash"],
                ownerReferences: [OwnerReference(apiVersion: "vtag.dev/v1alpha1", kind: "DiscoveryJob", name: "prod", uid: "u1", controller: true, blockOwnerDeletion: false)],
                finalizers: ["vtag.dev/writeback"]),
            spec: CloudResourceSpec(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:1234:instance/i-0abc", type: "ec2:instance", name: "web-01-prod",
                account: "1234", region: "eu-west-1", nativeTags: ["Name": "web-01-prod", "Ümlaut": "wert 😀"],
                attributes: ["state": "running", "": ""], relations: [Relation(type: "InVPC", target: "vpc-1")],
                manualTags: ["owner": "ops@example.com"]),
            status: CloudResourceStatus(
                phase: .vanished, vanishedAt: t,
                virtualTags: [VirtualTag(key: "team", value: "payments", source: .model, confidence: 0.934_567_890_123, rule: "r",
                                         approval: "a", reason: "learned", appliedAt: t)],
                missingKeys: ["owner"], rejected: [RejectedTag(key: "env", value: "dev", approval: "ap", reason: "wrong", rejectedAt: t)],
                history: [TagHistoryEntry(time: t, action: .writtenBack, key: "team", old: "pay", new: "payments", actor: "writeback/prod")],
                writtenBack: [WrittenBackTag(key: "team", value: "payments", writtenAt: t, job: "prod")],
                conditions: [Condition(type: "Tagged", status: .unknown, observedGeneration: 3, lastTransitionTime: t, reason: "R", message: "m")],
                evaluatedAt: t, modelVersion: "v1.7", observedGeneration: 3))
        r.status?.tagCount = 1
        return r
    }()

    @Test func everyFieldAsFoundationReadsIt() throws {
        let json = String(decoding: try KubeJSON.encoder().encode(Self.full), as: UTF8.self)
        let read = try fast(CloudResource.self, json)
        #expect(read == (try foundation(CloudResource.self, json)))
        #expect(read == Self.full)
    }

    @Test func unknownFieldsNullsEscapesAndMissingOptionals() throws {
        let documents = [
            // Only what is required; no status.
            #"{"metadata":{},"spec":{"provider":"gcp","id":"p/1","type":"compute:instance"}}"#,
            // Unknown fields at every level (managedFields, a future spec field, nested objects and arrays), skipped whole.
            #"""
            {"apiVersion":"vtag.dev/v1alpha1","kind":"CloudResource","future":{"a":[1,{"b":null}],"c":"d"},
             "metadata":{"name":"x","managedFields":[{"manager":"vtag","fieldsV1":{"f:spec":{}}}],"labels":{"a":"b"}},
             "spec":{"provider":"aws","id":"i","type":"t","cost":12.5,"relations":[{"type":"AttachedTo","target":"i-1","weight":2}]},
             "status":{"phase":"Active","extra":true,"virtualTags":[{"key":"k","value":"v","source":"rule","confidence":1,"reason":"r","new":[]}]}}
            """#,
            // Explicit nulls for every optional field.
            #"""
            {"apiVersion":null,"kind":null,"metadata":{"name":null,"generateName":null,"namespace":null,"uid":null,"resourceVersion":null,
             "generation":null,"creationTimestamp":null,"deletionTimestamp":null,"deletionGracePeriodSeconds":null,"labels":null,
             "annotations":null,"ownerReferences":null,"finalizers":null},
             "spec":{"provider":"azure","id":"/s/1","type":"vm","name":null,"account":null,"region":null,"nativeTags":null,
             "attributes":null,"relations":null,"manualTags":null},
             "status":{"phase":null,"vanishedAt":null,"virtualTags":null,"tagCount":null,"missingKeys":null,"rejected":null,"history":null,
             "writtenBack":null,"conditions":null,"evaluatedAt":null,"modelVersion":null,"observedGeneration":null}}
            """#,
            #"{"metadata":{},"spec":{"provider":"aws","id":"i","type":"t"},"status":null}"#,
            // Escapes and unicode in values and keys (an escaped key is the key it spells), surrogate pairs, fractional times.
            #"""
            {"metadata":{"na\u006de":"caf\u00e9 \ud83d\ude00","labels":{"k\"ey":"line\nbreak\ttab \/ \\"},"creationTimestamp":"2026-01-02T03:04:05.25+01:30"},
             "spec":{"provider":"aws","id":"i","type":"t","nativeTags":{"Ümlaut":"日本語","e\u0301":"\u0000"}},
             "status":{"history":[{"time":"2026-01-02t03:04:05z","action":"Removed","key":"k","old":"\u2028","actor":"manual"}]}}
            """#,
            // A count that disagrees with the list is kept as written (Codable does not recount it).
            #"{"metadata":{},"spec":{"provider":"aws","id":"i","type":"t"},"status":{"tagCount":7,"virtualTags":[]}}"#,
            // Whole numbers written as floats, repeated keys (the first wins, as in JSONDecoder), whitespace everywhere.
            #" { "metadata" : { "generation" : 3.0 , "name" : "first" , "name" : "last" } , "spec" : { "provider" : "aws" , "id" : "i" , "type" : "t" } , "status" : { "observedGeneration" : 1e2 } } "#,
        ]
        for json in documents {
            let read = try fast(CloudResource.self, json)
            #expect(read == (try foundation(CloudResource.self, json)), "\(json)")
        }
        let escaped = try fast(CloudResource.self, documents[4])
        #expect(escaped.metadata.name == "café 😀")
        #expect(escaped.metadata.labels == ["k\"ey": "line\nbreak\ttab / \\"])
        #expect(try fast(CloudResource.self, documents[5]).status?.tagCount == 7)
        #expect(try fast(CloudResource.self, documents[6]).metadata.name == "first")
        let minimal = try fast(CloudResource.self, documents[0])
        #expect(minimal.apiVersion == nil && minimal.status == nil && minimal.spec.name == nil)
    }

    /// The kind of error and its coding path, as the tests of the generic tape decoder compare them.
    func failure(_ body: () throws -> Void) -> [String] {
        do {
            try body()
            return ["decoded"]
        } catch let error as DecodingError {
            switch error {
            case .typeMismatch(_, let c): return ["type mismatch"] + c.codingPath.map(\.stringValue)
            case .valueNotFound(_, let c): return ["value not found"] + c.codingPath.map(\.stringValue)
            case .dataCorrupted(let c): return ["data corrupted"] + c.codingPath.map(\.stringValue)
            case .keyNotFound(let k, let c): return ["key not found " + k.stringValue] + c.codingPath.map(\.stringValue)
            @unknown default: return ["\(error)"]
            }
        } catch {
            return ["not a DecodingError: \(error)"]
        }
    }

    @Test func badInputFailsAsFoundationFails() {
        let spec = #""spec":{"provider":"aws","id":"i","type":"t"}"#
        let documents = [
            #"{"metadata":{}}"#,
            #"{"spec":{"provider":"aws","id":"i","type":"t"}}"#,
            #"{"metadata":{},"spec":{"provider":"aws","type":"t"}}"#,
            #"{"metadata":{},"spec":{"provider":null,"id":"i","type":"t"}}"#,
            #"{"metadata":{},"spec":{"provider":7,"id":"i","type":"t"}}"#,
            #"{"metadata":null,"# + spec + "}",
            #"{"metadata":[],"# + spec + "}",
            #"{"metadata":{"labels":{"a":1}},"# + spec + "}",
            #"{"metadata":{"generation":"3"},"# + spec + "}",
            #"{"metadata":{"creationTimestamp":"yesterday"},"# + spec + "}",
            #"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"K","name":"n"}]},"# + spec + "}",
            #"{"metadata":{"finalizers":["a",null]},"# + spec + "}",
            #"{"metadata":{},"# + spec + #","status":{"phase":"Gone"}}"#,
            #"{"metadata":{},"# + spec + #","status":{"virtualTags":[{"key":"k","value":"v","source":"rule","confidence":1,"reason":"r"},{"key":"k","value":"v","confidence":1,"reason":"r"}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"virtualTags":[{"key":"k","value":"v","source":"guess","confidence":1,"reason":"r"}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"virtualTags":[{"key":"k","value":"v","source":"rule","confidence":"high","reason":"r"}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"conditions":[{"type":"T","status":"Maybe","lastTransitionTime":"2026-01-02T03:04:05Z","reason":"R","message":""}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"conditions":[{"type":"T","status":"True","reason":"R","message":""}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"history":[{"time":"2026-01-02T03:04:05Z","action":"Applied","key":"k"}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"writtenBack":[{"key":"k","value":"v","writtenAt":null,"job":"j"}]}}"#,
            #"{"metadata":{},"# + spec + #","status":{"rejected":{"key":"k"}}}"#,
            #"{"metadata":{},"# + spec + #","status":{"tagCount":true}}"#,
            #"{"metadata":{},"spec":{"provider":"aws","id":"i","type":"t","relations":[{"type":"InVPC"}]}}"#,
            #"["metadata"]"#,
            #""resource""#,
        ]
        for json in documents {
            let mine = failure { _ = try fast(CloudResource.self, json) }
            let theirs = failure { _ = try foundation(CloudResource.self, json) }
            #expect(mine == theirs, "\(json)")
            #expect(mine != ["decoded"], "\(json)")
        }
        // A number that does not fit the field: both refuse it; JSONDecoder names no path, the tape names the field.
        let fraction = #"{"metadata":{"generation":1.5},"# + spec + "}"
        #expect(failure { _ = try fast(CloudResource.self, fraction) } == ["data corrupted", "metadata", "generation"])
        #expect(failure { _ = try foundation(CloudResource.self, fraction) }.first == "data corrupted")
    }

    @Test func malformedJSONIsRefused() {
        for bad in [#"{"metadata":{},"spec":{"provider":"aws","id":"i","type":"t"}"#, #"{"metadata":{} "spec":{}}"#, "",
                    #"{"metadata":{},"spec":{"provider":"aws\u12","id":"i","type":"t"}}"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try fast(CloudResource.self, bad) }
        }
    }

    /// Each hand-written reading names every stored property of its type: one added to a type and not to its
    /// reading would otherwise be dropped from every watched resource without an error.
    @Test func readingsKnowEveryProperty() {
        let full = Self.full
        let status = full.status!
        func labels(_ value: Any) -> [String] { Mirror(reflecting: value).children.compactMap(\.label) }
        func keys<T: TapeDecodable>(_ type: T.Type) -> [String] { T.tapeKeys.map(\.description) }
        #expect(keys(CloudResource.self) == labels(full))
        #expect(keys(ObjectMeta.self) == labels(full.metadata))
        #expect(keys(OwnerReference.self) == labels(full.metadata.ownerReferences![0]))
        #expect(keys(CloudResourceSpec.self) == labels(full.spec))
        #expect(keys(Relation.self) == labels(full.spec.relations![0]))
        #expect(keys(CloudResourceStatus.self) == labels(status))
        #expect(keys(VirtualTag.self) == labels(status.virtualTags![0]))
        #expect(keys(RejectedTag.self) == labels(status.rejected![0]))
        #expect(keys(TagHistoryEntry.self) == labels(status.history![0]))
        #expect(keys(WrittenBackTag.self) == labels(status.writtenBack![0]))
        #expect(keys(Condition.self) == labels(status.conditions![0]))
    }
}
