import Foundation
import KubeCore
import Testing
@testable import K8sClient

@Suite("the tape JSON decoder agrees with Foundation's")
struct KubeJSONDecoderTests {
    func both<T: Decodable & Equatable>(_ type: T.Type, _ json: String) throws -> (T, T) {
        let fast = try KubeJSONDecoder().decode(T.self, from: Array(json.utf8))
        let foundation = try KubeJSON.decoder().decode(T.self, from: Data(json.utf8))
        return (fast, foundation)
    }

    @Test func kubernetesObjects() throws {
        let cm = #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","uid":"u","resourceVersion":"7","generation":2,"creationTimestamp":"2026-01-02T03:04:05Z","labels":{"x":"1","y":"2"},"annotations":{},"ownerReferences":[{"apiVersion":"v1","kind":"Thing","name":"o","uid":"ou","controller":true}],"finalizers":["f/1"]},"data":{"k":"v","esc":"line\nbreak \"q\" \u00e9 \ud83d\ude00 tab\t"},"immutable":false}"#
        let (a, b) = try both(ConfigMap.self, cm)
        #expect(a == b)
        #expect(a.data?["esc"] == "line\nbreak \"q\" é 😀 tab\t")

        let lease = #"{"metadata":{"name":"l"},"spec":{"holderIdentity":"me","leaseDurationSeconds":15,"renewTime":"2026-11-22T03:19:46.123456Z","leaseTransitions":3}}"#
        let (l1, l2) = try both(Lease.self, lease)
        #expect(l1 == l2)

        let secret = #"{"metadata":{"name":"s"},"data":{"k":"c2VjcmV0"},"type":"Opaque"}"#
        let (s1, s2) = try both(Secret.self, secret)
        #expect(s1 == s2)
        #expect(s1.string("k") == "secret")

        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"m","reason":"Invalid","details":{"name":"x","causes":[{"reason":"FieldValueInvalid","field":"spec.size"}]},"code":422}"#
        let (t1, t2) = try both(StatusResponse.self, status)
        #expect(t1 == t2)
    }

    @Test func untypedJSONKeepsIntegersAndNesting() throws {
        let json = #" { "i": -42, "big": 9007199254740993, "d": 1.5, "e": 2e3, "b": true, "n": null, "s": "x", "a": [1, "two", [3], {}], "o": {"k": [] } } "#
        let (a, b) = try both(JSONValue.self, json)
        #expect(a == b)
        #expect(a["big"] == .int(9_007_199_254_740_993))
        #expect(a["d"] == .double(1.5))
    }

    @Test func missingAndWrongFieldsFailWithThePath() throws {
        struct Needs: Decodable { var spec: Inner; struct Inner: Decodable { var size: Int } }
        #expect(throws: DecodingError.self) { try KubeJSONDecoder().decode(Needs.self, from: Array(#"{"spec":{}}"#.utf8)) }
        do {
            _ = try KubeJSONDecoder().decode(Needs.self, from: Array(#"{"spec":{"size":"big"}}"#.utf8))
            Issue.record("a string decoded as Int")
        } catch DecodingError.typeMismatch(_, let ctx) {
            #expect(ctx.codingPath.map(\.stringValue) == ["spec", "size"])
        }
        #expect(throws: DecodingError.self) { try KubeJSONDecoder().decode(Needs.self, from: Array(#"{"spec":{"size":1.5}}"#.utf8)) }
        #expect(throws: DecodingError.self) { try KubeJSONDecoder().decode(Needs.self, from: Array(#"{"spec":{"size":300000000000000000000}}"#.utf8)) }
    }

    @Test func malformedJSONIsRefused() {
        for bad in [#"{"a":1"#, #"{"a" 1}"#, #"[1,]x"#, #"{"a":tru}"#, #""unterminated"#, "", #"{"a":1} {"#] {
            #expect(throws: DecodingError.self, "\(bad)") { try KubeJSONDecoder().decode(JSONValue.self, from: Array(bad.utf8)) }
        }
    }

    @Test func keysInAnyOrderAndDuplicatesInMaps() throws {
        struct Three: Decodable, Equatable { var a: Int; var b: Int; var c: Int? }
        let (x, y) = try both(Three.self, #"{"c":3,"b":2,"a":1}"#)
        #expect(x == y)
        #expect(x == Three(a: 1, b: 2, c: 3))
        let map = try KubeJSONDecoder().decode([String: Int].self, from: Array(#"{"z":1,"y":2,"x":3}"#.utf8))
        #expect(map == ["z": 1, "y": 2, "x": 3])
        let optionalNull = try KubeJSONDecoder().decode(Three.self, from: Array(#"{"a":1,"b":2,"c":null}"#.utf8))
        #expect(optionalNull.c == nil)
    }

    /// The error of the tape decoder and of Foundation's for the same bad document: same kind, same path.
    func sameError<T: Decodable>(_ type: T.Type, _ json: String) -> (fast: [String], foundation: [String]) {
        func path(_ error: Error) -> [String] {
            switch error as? DecodingError {
            case .typeMismatch(_, let c), .valueNotFound(_, let c), .dataCorrupted(let c): return c.codingPath.map(\.stringValue)
            case .keyNotFound(let k, let c): return c.codingPath.map(\.stringValue) + ["missing " + k.stringValue]
            default: return ["not a DecodingError: \(error)"]
            }
        }
        var fast: [String] = ["decoded"], foundation: [String] = ["decoded"]
        do { _ = try KubeJSONDecoder().decode(T.self, from: Array(json.utf8)) } catch { fast = path(error) }
        do { _ = try KubeJSON.decoder().decode(T.self, from: Data(json.utf8)) } catch { foundation = path(error) }
        return (fast, foundation)
    }

    @Test func errorPathsThroughArraysAndMapsMatchFoundation() {
        struct Item: Decodable { var name: String; var labels: [String: String]?; var when: Date?; var tags: [String]? }
        struct Doc: Decodable { var items: [Item] }
        let cases = [
            #"{"items":[{"name":"a"},{"name":7}]}"#,
            #"{"items":[{"name":"a"},{"labels":{}}]}"#,
            #"{"items":[{"name":"a","labels":{"x":"1","y":2}}]}"#,
            #"{"items":[{"name":"a","labels":{"x":null}}]}"#,
            #"{"items":[{"name":"a"},{"name":"b","when":"yesterday"}]}"#,
            #"{"items":[{"name":"a","tags":["x",null]}]}"#,
            #"{"items":[{"name":"a","tags":"x"}]}"#,
            #"{"items":{"name":"a"}}"#,
        ]
        for json in cases {
            let (fast, foundation) = sameError(Doc.self, json)
            #expect(fast == foundation, "\(json)")
            #expect(fast != ["decoded"], "\(json)")
        }
    }

    @Test func stringMapsArraysAndTimesReadStraightFromTheBytes() throws {
        struct Doc: Decodable, Equatable { var m: [String: String]; var a: [String]; var t: [Date]; var o: [String: String]? }
        let json = #"{"m":{"plain":"v","esc\"aped":"line\nbreak","":""},"a":["x","\u00e9",""],"t":["2026-01-02T03:04:05Z","2026-01-02T03:04:05.25+01:30","2026-01-02t03:04:05z"],"o":null}"#
        let (fast, foundation) = try both(Doc.self, json)
        #expect(fast == foundation)
        #expect(fast.m["esc\"aped"] == "line\nbreak")
        // A repeated key keeps its last value, as it did through the generic map decoding.
        let dup = try KubeJSONDecoder().decode([String: String].self, from: Array(#"{"dup":"first","x":"y","dup":"last"}"#.utf8))
        #expect(dup == ["dup": "last", "x": "y"])
        #expect(fast.a == ["x", "é", ""])
        #expect(fast.t[1].timeIntervalSince(fast.t[0]) == 0.25 - 5400)
        #expect(fast.o == nil)
    }
}
