import Foundation
import KubeCore
import Yams

/// YAML (apply bodies, CRD files) to `JSONValue`, with YAML 1.1 core-schema typing like sigs.k8s.io/yaml:
/// unquoted numbers and booleans are typed, timestamps stay strings.
enum YAMLJSON {
    static func parse(_ data: Data) throws -> JSONValue {
        let text = String(decoding: data, as: UTF8.self)
        guard let node = try Yams.compose(yaml: text) else { return .null }
        return convert(node)
    }

    /// Every document of a multi-document stream (`---`), skipping empty ones.
    static func parseAll(_ text: String) throws -> [JSONValue] {
        var out: [JSONValue] = []
        for node in try Yams.compose_all(yaml: text) {
            let v = convert(node)
            if !v.isNull { out.append(v) }
        }
        return out
    }

    static func convert(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let s):
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return Bool.construct(from: s).map(JSONValue.bool) ?? .string(s.string)
            case .int: return Int64.construct(from: s).map(JSONValue.int) ?? .string(s.string)
            case .float: return Double.construct(from: s).map(JSONValue.double) ?? .string(s.string)
            default: return .string(s.string)
            }
        case .mapping(let m):
            var o: [String: JSONValue] = [:]
            for (k, v) in m {
                let key: String
                if case .scalar(let ks) = k { key = ks.string } else { key = convert(k).compactString() }
                o[key] = convert(v)
            }
            return .object(o)
        case .sequence(let seq):
            return .array(seq.map(convert))
        case .alias:
            return .null
        }
    }
}
