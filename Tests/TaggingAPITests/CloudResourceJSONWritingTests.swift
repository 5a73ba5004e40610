import Foundation
import KubeCore
import Testing
@testable import TaggingAPI

/// A whole CloudResource written by hand (the body of discovery's create) is the JSON Foundation's JSONEncoder
/// writes with `KubeJSON.encoder()`, part by part, field by field.
@Suite struct CloudResourceJSONWritingTests {
    /// The reading tests' fixture with every field set, down to the metadata's grace period.
    static let full: CloudResource = {
        var r = CloudResourceTapeReadingTests.full
        r.metadata.deletionGracePeriodSeconds = 30
        return r
    }()

    /// Every stored field of the parts written here is set in the fixture, so a field added to one of them (and
    /// not to its writer) shows up below as a difference, not as two omissions that agree.
    @Test func theFixtureSetsEveryField() {
        let parts: [(String, Any)] = [
            ("resource", Self.full), ("metadata", Self.full.metadata), ("spec", Self.full.spec),
            ("ownerReference", Self.full.metadata.ownerReferences![0]), ("relation", Self.full.spec.relations![0]),
        ]
        for (part, value) in parts {
            let unset = unsetOptionalFields(of: value)
            #expect(unset.isEmpty, "set these fields of the \(part) in the fixture: \(unset)")
        }
    }

    @Test func everyFieldAsJSONEncoderWritesIt() throws {
        let all = try foundationJSON(Self.full)
        #expect(try handWrittenJSON(Self.full) == all)
        // One field of each part at a time (the others absent), so a difference names its field.
        for (key, value) in try #require(all[path: "metadata"]?.objectValue) {
            var alone = try foundationJSON(ObjectMeta())
            alone[key] = value
            let metadata = try KubeJSON.decoder().decode(ObjectMeta.self, from: alone.compactData())
            #expect(try handWrittenJSON(metadata) == (try foundationJSON(metadata)), "metadata.\(key)")
        }
        let required: Set<String> = ["provider", "id", "type"]
        for (key, value) in try #require(all[path: "spec"]?.objectValue) where !required.contains(key) {
            var alone = try foundationJSON(CloudResourceSpec(provider: "aws", id: "i", type: "t"))
            alone[key] = value
            let spec = try KubeJSON.decoder().decode(CloudResourceSpec.self, from: alone.compactData())
            #expect(try handWrittenJSON(spec) == (try foundationJSON(spec)), "spec.\(key)")
        }
        // What discovery creates (no status, no uid or version yet), and values that need care.
        let tricky = "quote \" back \\ slash / tab \t nl \n ü 😀 \u{2028}"
        let created = CloudResource(
            metadata: ObjectMeta(name: "n", namespace: "ns", labels: [tricky: tricky, "a": ""],
                                 ownerReferences: [OwnerReference(apiVersion: "v", kind: "k", name: tricky, uid: "u")]),
            spec: CloudResourceSpec(provider: "gcp", id: tricky, type: "compute:instance", nativeTags: [:], relations: []))
        var bare = created
        bare.apiVersion = nil
        bare.kind = nil
        for value in [created, bare] { #expect(try handWrittenJSON(value) == (try foundationJSON(value)), "\(value)") }
    }
}
