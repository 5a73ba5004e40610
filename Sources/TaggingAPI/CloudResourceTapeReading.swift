import Foundation
import KubeCore

// CloudResource and its parts read straight off a JSON tape (see `TapeDecodable`): a watch or list of a
// large estate decodes one per resource. The same results and errors as their Codable decoding.

extension CloudResource: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["apiVersion", "kind", "metadata", "spec", "status"]

    package init(tape: TapeBox, at node: Int) throws {
        var apiVersion: String?, kind: String?, metadata: ObjectMeta?, spec: CloudResourceSpec?, status: CloudResourceStatus?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: apiVersion = null ? nil : try tape.string(v)
            case 1: kind = null ? nil : try tape.string(v)
            case 2: metadata = try tape.decode(ObjectMeta.self, at: v)
            case 3: spec = try tape.decode(CloudResourceSpec.self, at: v)
            case 4: status = null ? nil : try tape.decode(CloudResourceStatus.self, at: v)
            default: break
            }
        }
        self.init(
            metadata: try tape.required(metadata, "metadata", in: node), spec: try tape.required(spec, "spec", in: node), status: status)
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

extension CloudResourceSpec: TapeDecodable {
    package static let tapeKeys: [StaticString] = [
        "provider", "id", "type", "name", "account", "region", "nativeTags", "attributes", "relations", "manualTags",
    ]

    package init(tape: TapeBox, at node: Int) throws {
        var provider: String?, id: String?, type: String?, name: String?, account: String?, region: String?
        var nativeTags: [String: String]?, attributes: [String: String]?, relations: [Relation]?, manualTags: [String: String]?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: provider = try tape.string(v)
            case 1: id = try tape.string(v)
            case 2: type = try tape.string(v)
            case 3: name = null ? nil : try tape.string(v)
            case 4: account = null ? nil : try tape.string(v)
            case 5: region = null ? nil : try tape.string(v)
            case 6: nativeTags = null ? nil : try tape.stringMap(v)
            case 7: attributes = null ? nil : try tape.stringMap(v)
            case 8: relations = null ? nil : try tape.array(Relation.self, at: v)
            case 9: manualTags = null ? nil : try tape.stringMap(v)
            default: break
            }
        }
        self.init(
            provider: try tape.required(provider, "provider", in: node), id: try tape.required(id, "id", in: node),
            type: try tape.required(type, "type", in: node), name: name, account: account, region: region,
            nativeTags: nativeTags, attributes: attributes, relations: relations, manualTags: manualTags)
    }
}

extension Relation: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["type", "target"]

    package init(tape: TapeBox, at node: Int) throws {
        var type: String?, target: String?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            switch k {
            case 0: type = try tape.string(v)
            case 1: target = try tape.string(v)
            default: break
            }
        }
        self.init(type: try tape.required(type, "type", in: node), target: try tape.required(target, "target", in: node))
    }
}

extension CloudResourceStatus: TapeDecodable {
    package static let tapeKeys: [StaticString] = [
        "phase", "vanishedAt", "virtualTags", "tagCount", "missingKeys", "rejected", "history", "writtenBack", "conditions",
        "evaluatedAt", "modelVersion", "observedGeneration",
    ]

    package init(tape: TapeBox, at node: Int) throws {
        self.init()
        var tagCount: Int?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: phase = null ? nil : try tape.rawValue(ResourcePhase.self, at: v)
            case 1: vanishedAt = null ? nil : try tape.date(v)
            case 2: virtualTags = null ? nil : try tape.array(VirtualTag.self, at: v)
            case 3: tagCount = null ? nil : try tape.integer(Int.self, v)
            case 4: missingKeys = null ? nil : try tape.stringArray(v)
            case 5: rejected = null ? nil : try tape.array(RejectedTag.self, at: v)
            case 6: history = null ? nil : try tape.array(TagHistoryEntry.self, at: v)
            case 7: writtenBack = null ? nil : try tape.array(WrittenBackTag.self, at: v)
            case 8: conditions = null ? nil : try tape.array(Condition.self, at: v)
            case 9: evaluatedAt = null ? nil : try tape.date(v)
            case 10: modelVersion = null ? nil : try tape.string(v)
            case 11: observedGeneration = null ? nil : try tape.integer(Int64.self, v)
            default: break
            }
        }
        // As read, as Codable stores it (setting `virtualTags` above may have recounted it).
        self.tagCount = tagCount
    }
}

extension VirtualTag: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["key", "value", "source", "confidence", "rule", "approval", "reason", "appliedAt"]

    package init(tape: TapeBox, at node: Int) throws {
        var key: String?, value: String?, source: TagSource?, confidence: Double?
        var rule: String?, approval: String?, reason: String?, appliedAt: Date?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: key = try tape.string(v)
            case 1: value = try tape.string(v)
            case 2: source = try tape.rawValue(TagSource.self, at: v)
            case 3: confidence = try tape.double(v)
            case 4: rule = null ? nil : try tape.string(v)
            case 5: approval = null ? nil : try tape.string(v)
            case 6: reason = try tape.string(v)
            case 7: appliedAt = null ? nil : try tape.date(v)
            default: break
            }
        }
        self.init(
            key: try tape.required(key, "key", in: node), value: try tape.required(value, "value", in: node),
            source: try tape.required(source, "source", in: node), confidence: try tape.required(confidence, "confidence", in: node),
            rule: rule, approval: approval, reason: try tape.required(reason, "reason", in: node), appliedAt: appliedAt)
    }
}

extension RejectedTag: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["key", "value", "approval", "reason", "rejectedAt"]

    package init(tape: TapeBox, at node: Int) throws {
        var key: String?, value: String?, approval: String?, reason: String?, rejectedAt: Date?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: key = try tape.string(v)
            case 1: value = try tape.string(v)
            case 2: approval = null ? nil : try tape.string(v)
            case 3: reason = null ? nil : try tape.string(v)
            case 4: rejectedAt = null ? nil : try tape.date(v)
            default: break
            }
        }
        self.init(
            key: try tape.required(key, "key", in: node), value: try tape.required(value, "value", in: node),
            approval: approval, reason: reason, rejectedAt: rejectedAt)
    }
}

extension TagHistoryEntry: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["time", "action", "key", "old", "new", "actor"]

    package init(tape: TapeBox, at node: Int) throws {
        var time: Date?, action: Action?, key: String?, old: String?, new: String?, actor: String?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            let null = tape.isNull(v)
            switch k {
            case 0: time = try tape.date(v)
            case 1: action = try tape.rawValue(Action.self, at: v)
            case 2: key = try tape.string(v)
            case 3: old = null ? nil : try tape.string(v)
            case 4: new = null ? nil : try tape.string(v)
            case 5: actor = try tape.string(v)
            default: break
            }
        }
        self.init(
            time: try tape.required(time, "time", in: node), action: try tape.required(action, "action", in: node),
            key: try tape.required(key, "key", in: node), old: old, new: new, actor: try tape.required(actor, "actor", in: node))
    }
}

extension WrittenBackTag: TapeDecodable {
    package static let tapeKeys: [StaticString] = ["key", "value", "writtenAt", "job"]

    package init(tape: TapeBox, at node: Int) throws {
        var key: String?, value: String?, writtenAt: Date?, job: String?
        try tape.readFields(of: node, as: Self.self, Self.tapeKeys) { k, v in
            switch k {
            case 0: key = try tape.string(v)
            case 1: value = try tape.string(v)
            case 2: writtenAt = try tape.date(v)
            case 3: job = try tape.string(v)
            default: break
            }
        }
        self.init(
            key: try tape.required(key, "key", in: node), value: try tape.required(value, "value", in: node),
            writtenAt: try tape.required(writtenAt, "writtenAt", in: node), job: try tape.required(job, "job", in: node))
    }
}
