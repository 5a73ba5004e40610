import Foundation
import KubeCore

// CloudResourceStatus and its parts written by hand (see `JSONWriter`): the tagger writes one status per
// resource. The same JSON as their Codable encoding with `KubeJSON.encoder()`, keys in its sorted order.
// A field added to one of these types must be added here too (CloudResourceStatusJSONWritingTests fails
// until it is).

extension ResourcePhase: JSONWritable {}
extension TagSource: JSONWritable {}
extension TagHistoryEntry.Action: JSONWritable {}

extension CloudResourceStatus: JSONWritable, WholeStatusPatchable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("conditions", conditions)
        json.field("evaluatedAt", evaluatedAt)
        json.field("history", history)
        json.field("missingKeys", missingKeys)
        json.field("modelVersion", modelVersion)
        json.field("observedGeneration", observedGeneration)
        json.field("phase", phase)
        json.field("rejected", rejected)
        json.field("tagCount", tagCount)
        json.field("vanishedAt", vanishedAt)
        json.field("virtualTags", virtualTags)
        json.field("writtenBack", writtenBack)
        json.endObject()
    }
}

extension VirtualTag: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("appliedAt", appliedAt)
        json.field("approval", approval)
        json.field("confidence", confidence)
        json.field("key", key)
        json.field("reason", reason)
        json.field("rule", rule)
        json.field("source", source)
        json.field("value", value)
        json.endObject()
    }
}

extension RejectedTag: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("approval", approval)
        json.field("key", key)
        json.field("reason", reason)
        json.field("rejectedAt", rejectedAt)
        json.field("value", value)
        json.endObject()
    }
}

extension TagHistoryEntry: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("action", action)
        json.field("actor", actor)
        json.field("key", key)
        json.field("new", new)
        json.field("old", old)
        json.field("time", time)
        json.endObject()
    }
}

extension WrittenBackTag: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("job", job)
        json.field("key", key)
        json.field("value", value)
        json.field("writtenAt", writtenAt)
        json.endObject()
    }
}
