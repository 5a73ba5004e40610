import Foundation
import KubeCore

// A whole CloudResource and its spec written by hand (see `JSONWriter`): discovery's create of one CloudResource
// per cloud resource sends it (with Foundation's JSONEncoder it was a twentieth of the operator's CPU on a first
// discovery). The same JSON as their Codable encoding with `KubeJSON.encoder()`, keys in its sorted order; the
// status is `CloudResourceStatusJSONWriting.swift`'s. A field added to one of these types must be added here
// too (CloudResourceJSONWritingTests fails until it is).

extension CloudResource: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("apiVersion", apiVersion)
        json.field("kind", kind)
        json.field("metadata", metadata)
        json.field("spec", spec)
        json.field("status", status)
        json.endObject()
    }
}

extension CloudResourceSpec: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("account", account)
        json.field("attributes", attributes)
        json.field("id", id)
        json.field("manualTags", manualTags)
        json.field("name", name)
        json.field("nativeTags", nativeTags)
        json.field("provider", provider)
        json.field("region", region)
        json.field("relations", relations)
        json.field("type", type)
        json.endObject()
    }
}

extension Relation: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("target", target)
        json.field("type", type)
        json.endObject()
    }
}
