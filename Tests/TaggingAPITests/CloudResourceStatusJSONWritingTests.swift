import Foundation
import KubeCore
import Testing
@testable import TaggingAPI

/// CloudResourceStatus written by hand (the tagger's status write) is the JSON Foundation's JSONEncoder
/// writes with `KubeJSON.encoder()`, field by field; and as a whole-status merge patch it turns any old
/// status into exactly the new one.
@Suite struct CloudResourceStatusJSONWritingTests {
    static let full = CloudResourceTapeReadingTests.full.status!

    /// Every stored field of the fixture is set, so a field added to the status (and not to its writer)
    /// shows up below as a difference, not as two omissions that agree.
    @Test func theFixtureSetsEveryField() {
        let unset = unsetOptionalFields(of: Self.full)
        #expect(unset.isEmpty, "set these fields in CloudResourceTapeReadingTests.full: \(unset)")
    }

    @Test func everyFieldAsJSONEncoderWritesIt() throws {
        let all = try foundationJSON(Self.full)
        #expect(try handWrittenJSON(Self.full) == all)
        // One field at a time (the others absent), so a difference names its field.
        for (key, value) in try #require(all.objectValue) {
            var alone = try JSONValue.parseFast(try KubeJSON.encoder().encode(CloudResourceStatus()))
            alone[key] = value
            let status = try KubeJSON.decoder().decode(CloudResourceStatus.self, from: alone.compactData())
            #expect(try handWrittenJSON(status) == (try foundationJSON(status)), "status.\(key)")
        }
        // The parts, with their optionals absent, and with the values that need care: escapes, unicode,
        // whole and fractional doubles, exponents, times.
        let t = Date(timeIntervalSince1970: 1_790_000_000.75)
        let tricky = "quote \" back \\ slash / tab \t nl \n cr \r bell \u{07} nul \u{00} ü 😀 \u{2028}"
        let tags = [
            VirtualTag(key: tricky, value: "", source: .native, confidence: 1, reason: tricky),
            VirtualTag(key: "k", value: "v", source: .rule, confidence: 0.9, rule: "r", reason: "r", appliedAt: t),
            VirtualTag(key: "k", value: "v", source: .model, confidence: 1e-7, reason: "r"),
            VirtualTag(key: "k", value: "v", source: .model, confidence: 0.1 + 0.2, reason: "r"),
            VirtualTag(key: "k", value: "v", source: .manual, confidence: 0, reason: "r"),
        ]
        for tag in tags { #expect(try handWrittenJSON(tag) == (try foundationJSON(tag)), "\(tag)") }
        let others: [any JSONWritable & Encodable] = [
            RejectedTag(key: "k", value: tricky),
            TagHistoryEntry(time: t, action: .removed, key: "k", actor: "manual"),
            WrittenBackTag(key: "k", value: tricky, writtenAt: t, job: "j"),
            Condition(type: "Tagged", status: .false, lastTransitionTime: t, reason: "R", message: ""),
            CloudResourceStatus(),
            CloudResourceStatus(virtualTags: [], missingKeys: [], conditions: []),
        ]
        for value in others { #expect(try handWrittenJSON(value) == (try foundationJSON(value)), "\(value)") }
    }

    @Test func asAWholeStatusPatchItTurnsAnyOldStatusIntoTheNewOne() throws {
        let empty = try handWrittenJSON(CloudResourceStatus(), absentFieldsAsNull: true)
        // Every field the full status has is named, as null, when absent.
        #expect(Set(try #require(empty.objectValue).keys) == Set(try #require((try foundationJSON(Self.full)).objectValue).keys))
        #expect(try #require(empty.objectValue).values.allSatisfy { $0 == .null })

        var sparse = CloudResourceStatus(virtualTags: [VirtualTag(key: "k", value: "v", source: .rule, confidence: 1, reason: "r")])
        sparse.evaluatedAt = Date(timeIntervalSince1970: 1_790_000_000)
        let statuses = [Self.full, sparse, CloudResourceStatus()]
        for old in statuses {
            for new in statuses {
                let object: JSONValue = ["spec": ["id": "i"], "status": try foundationJSON(old)]
                let patch: JSONValue = ["status": try handWrittenJSON(new, absentFieldsAsNull: true)]
                #expect(object.applyingMergePatch(patch) == ["spec": ["id": "i"], "status": try foundationJSON(new)])
            }
        }
        // Nested optionals stay left out (a null inside a list would be stored as one).
        let nested = try handWrittenJSON(sparse, absentFieldsAsNull: true)
        #expect(nested[path: "virtualTags"]?.arrayValue?.first?.objectValue?["rule"] == nil)
    }
}
