import Foundation
import KubeCore
import Testing

@Suite("KubeCore helpers: JSON coding, patches, selectors")
struct KubeCoreHelperTests {
    @Test func fastParserMatchesFoundationAndRoundTrips() throws {
        let text = #"{"a":[1,-2,3.5,1e300,true,false,null],"b":{"c":"x\"y\\z\n\u00e9\ud83d\ude00/"},"big":12345678901234,"e":{}}"#
        let v = try JSONValue.parseFast(text)
        #expect(v == (try JSONValue.parse(Data(text.utf8))))
        #expect(v[path: "b", "c"] == "x\"y\\z\né😀/")
        #expect(v["big"] == .int(12_345_678_901_234))
        #expect(v["a"]?.arrayValue?[3] == .double(1e300))
        #expect(try JSONValue.parseFast(v.compactString()) == v)
        #expect(JSONValue.object(["b": 1, "a": 2]).compactString() == #"{"a":2,"b":1}"#)
    }

    @Test func parserErrorsReadLikeGo() {
        #expect(throws: KubeCoreError.self) { try JSONValue.parseFast("{not json") }
        do {
            _ = try JSONValue.parseFast("{not json")
        } catch {
            #expect(error.description == "invalid character 'n' looking for beginning of object key string")
        }
        for bad in ["", "[1,", "{\"a\" 1}", "tru", "1 2", "\"abc"] {
            #expect(throws: KubeCoreError.self, "\(bad)") { try JSONValue.parseFast(bad) }
        }
    }

    @Test func mergePatchFollowsRFC7386() {
        // Examples from RFC 7386 appendix A.
        let cases: [(JSONValue, JSONValue, JSONValue)] = [
            (["a": "b"], ["a": "c"], ["a": "c"]),
            (["a": "b"], ["b": "c"], ["a": "b", "b": "c"]),
            (["a": "b"], ["a": .null], [:]),
            (["a": "b", "b": "c"], ["a": .null], ["b": "c"]),
            (["a": ["b"]], ["a": "c"], ["a": "c"]),
            (["a": ["b": "c"]], ["a": ["b": "d", "c": .null]], ["a": ["b": "d"]]),
            (["a": [["b": "c"]]], ["a": [1]], ["a": [1]]),
            (["e": .null], ["a": 1], ["e": .null, "a": 1]),
            ([1, 2], ["a": "b", "c": .null], ["a": "b"]),
            (["a": "foo"], .null, .null),
            ([:], ["a": ["bb": ["ccc": .null]]], ["a": ["bb": [:]]]),
        ]
        for (doc, patch, want) in cases {
            #expect(doc.applyingMergePatch(patch) == want, "\(doc.compactString()) + \(patch.compactString())")
        }
        let a: JSONValue = ["x": 1, "y": ["z": 2, "w": 3]]
        let b: JSONValue = ["x": 1, "y": ["z": 4], "n": true]
        #expect(a.applyingMergePatch(a.mergePatch(to: b)) == b)
    }

    @Test func jsonPatchFollowsRFC6902() throws {
        let doc: JSONValue = ["foo": ["bar", "baz"], "a/b": 1, "m~n": 2, "o": ["p": 1]]
        let patch = try JSONPatch([
            ["op": "add", "path": "/foo/1", "value": "qux"],
            ["op": "add", "path": "/foo/-", "value": "end"],
            ["op": "remove", "path": "/a~1b"],
            ["op": "replace", "path": "/m~0n", "value": 3],
            ["op": "copy", "from": "/o/p", "path": "/copied"],
            ["op": "move", "from": "/o", "path": "/moved"],
            ["op": "test", "path": "/foo/0", "value": "bar"],
        ])
        let out = try patch.apply(to: doc)
        #expect(out == ["foo": ["bar", "qux", "baz", "end"], "m~n": 3, "copied": 1, "moved": ["p": 1]])
        #expect(throws: KubeCoreError.patchTestFailed(path: "/foo/0")) {
            try JSONPatch([["op": "test", "path": "/foo/0", "value": "nope"]]).apply(to: doc)
        }
        #expect(throws: KubeCoreError.patchPathNotFound("/nope/x")) {
            try JSONPatch([["op": "add", "path": "/nope/x", "value": 1]]).apply(to: doc)
        }
        #expect(throws: KubeCoreError.self) { try JSONPatch(["op": "add"]) }
        #expect(throws: KubeCoreError.self) { try JSONPatch([["op": "frobnicate", "path": "/a"]]) }
    }

    @Test func labelSelectorParsingAndMatching() throws {
        let labels = ["tier": "web", "n": "3", "env": "prod"]
        let matching = ["tier=web", "tier==web", "tier!=db", "tier in (web,db)", "tier notin (db)", "tier", "!missing",
                        "n>2", "n<4", "tier=web,env=prod", " tier in ( web ) , env ", "", "missing!=x", "missing notin (a)"]
        for s in matching { #expect(try LabelSelector(parsing: s).matches(labels), "\(s)") }
        let failing = ["tier=db", "tier!=web", "tier in (db)", "tier notin (web)", "missing", "!tier", "n>3", "n<3", "tier=web,env=dev"]
        for s in failing { #expect(try !LabelSelector(parsing: s).matches(labels), "\(s)") }
        do {
            _ = try LabelSelector(parsing: "tier in db")
            Issue.record("accepted a malformed selector")
        } catch {
            #expect(error == .invalidSelector("unable to parse requirement: found 'db' expected: '('"))
        }
        for bad in ["tier in (", "=x", "tier=web,", "a b", "tier in ()", "n>x", "bad key!=x y"] {
            #expect(throws: KubeCoreError.self, "\(bad)") { try LabelSelector(parsing: bad) }
        }
        #expect(LabelSelector(matchLabels: ["b": "2", "a": "1"]).description == "a=1,b=2")
    }

    @Test func fieldSelector() throws {
        let f = try FieldSelector(parsing: "metadata.name=a,metadata.namespace!=kube-system")
        #expect(f.matches { ["metadata.name": "a", "metadata.namespace": "default"][$0] })
        #expect(!f.matches { ["metadata.name": "a", "metadata.namespace": "kube-system"][$0] })
        #expect(throws: KubeCoreError.self) { try FieldSelector(parsing: "nonsense") }
    }
}
