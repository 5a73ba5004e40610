import Foundation

// ObjectMeta and OwnerReference written by hand (see `JSONWriter`): the body of a create carries them (discovery
// creates one CloudResource per cloud resource). The same JSON as their Codable encoding with
// `KubeJSON.encoder()`, keys in its sorted order. A field added to one of these types must be added here too
// (CloudResourceJSONWritingTests in TaggingAPITests fails until it is).

extension ObjectMeta: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("annotations", annotations)
        json.field("creationTimestamp", creationTimestamp)
        json.field("deletionGracePeriodSeconds", deletionGracePeriodSeconds)
        json.field("deletionTimestamp", deletionTimestamp)
        json.field("finalizers", finalizers)
        json.field("generateName", generateName)
        json.field("generation", generation)
        json.field("labels", labels)
        json.field("name", name)
        json.field("namespace", namespace)
        json.field("ownerReferences", ownerReferences)
        json.field("resourceVersion", resourceVersion)
        json.field("uid", uid)
        json.endObject()
    }
}

extension OwnerReference: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        json.field("apiVersion", apiVersion)
        json.field("blockOwnerDeletion", blockOwnerDeletion)
        json.field("controller", controller)
        json.field("kind", kind)
        json.field("name", name)
        json.field("uid", uid)
        json.endObject()
    }
}
