import Foundation

// ObjectMeta, OwnerReference and Condition read straight off a JSON tape (see `TapeDecodable`): they are
// in every CloudResource of a watch. The same results and errors as their Codable decoding.

extension ObjectMeta: TapeDecodable {
    package static let tapeKeys: [StaticString] = [
        "name", "generateName", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers",
    ]

    package init(tape: TapeBox, at node: Int) throws {
        self.init()
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: name = null ? nil : try tape.string(v)
            case 1: generateName = null ? nil : try tape.string(v)
            case 2: namespace = null ? nil : try tape.string(v)
            case 3: uid = null ? nil : try tape.string(v)
            case 4: resourceVersion = null ? nil : try tape.string(v)
            case 5: generation = null ? nil : try tape.integer(Int64.self, v)
            case 6: creationTimestamp = null ? nil : try tape.date(v)
            case 7: deletionTimestamp = null ? nil : try tape.date(v)
            case 8: deletionGracePeriodSeconds = null ? nil : try tape.integer(Int64.self, v)
            case 9: labels = null ? nil : try tape.stringMap(v)
            case 10: annotations = null ? nil : try tape.stringMap(v)
            case 11: ownerReferences = null ? nil : try tape.array(OwnerReference.self, at: v)
            case 12: finalizers = null ? nil : try tape.stringArray(v)
            default: break
            }
        }
    }
}

extension OwnerReference: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["apiVersion", "kind", "name", "uid", "controller", "blockOwnerDeletion"]

    package init(tape: TapeBox, at node: Int) throws {
        var apiVersion: String?, kind: String?, name: String?, uid: String?
        var controller: Bool?, blockOwnerDeletion: Bool?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            switch k {
            case 0: apiVersion = try tape.string(v)
            case 1: kind = try tape.string(v)
            case 2: name = try tape.string(v)
            case 3: uid = try tape.string(v)
            case 4: controller = tape.isNull(v) ? nil : try tape.bool(v)
            case 5: blockOwnerDeletion = tape.isNull(v) ? nil : try tape.bool(v)
            default: break
            }
        }
        self.init(
            apiVersion: try tape.required(apiVersion, "apiVersion", in: node), kind: try tape.required(kind, "kind", in: node),
            name: try tape.required(name, "name", in: node), uid: try tape.required(uid, "uid", in: node),
            controller: controller, blockOwnerDeletion: blockOwnerDeletion)
    }
}

extension Condition: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["type", "status", "observedGeneration", "lastTransitionTime", "reason", "message"]

    package init(tape: TapeBox, at node: Int) throws {
        var type: String?, status: Status?, observedGeneration: Int64?, lastTransitionTime: Date?
        var reason: String?, message: String?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            switch k {
            case 0: type = try tape.string(v)
            case 1: status = try tape.rawValue(Status.self, at: v)
            case 2: observedGeneration = tape.isNull(v) ? nil : try tape.integer(Int64.self, v)
            case 3: lastTransitionTime = try tape.date(v)
            case 4: reason = try tape.string(v)
            case 5: message = try tape.string(v)
            default: break
            }
        }
        self.init(
            type: try tape.required(type, "type", in: node), status: try tape.required(status, "status", in: node),
            observedGeneration: observedGeneration,
            lastTransitionTime: try tape.required(lastTransitionTime, "lastTransitionTime", in: node),
            reason: try tape.required(reason, "reason", in: node), message: try tape.required(message, "message", in: node))
    }
}
