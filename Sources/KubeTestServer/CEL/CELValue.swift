import Foundation
import KubeCore

/// A runtime CEL value. Objects of the schema are maps with string keys, as in the API server.
enum CELValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case list([CELValue])
    case map([String: CELValue])

    init(_ json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .list(a.map(CELValue.init))
        case .object(let o): self = .map(o.mapValues(CELValue.init))
        }
    }

    var typeName: String {
        switch self {
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        }
    }

    /// CEL's runtime equality: numbers compare across int/uint/double, lists and maps element-wise.
    static func equal(_ a: CELValue, _ b: CELValue) -> Bool {
        switch (a, b) {
        case (.list(let x), .list(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case (.map(let x), .map(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
        default:
            if let x = a.number, let y = b.number { return x == y }
            return a == b
        }
    }

    var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .uint(let u): Double(u)
        case .double(let d): d
        default: nil
        }
    }

    /// How `string(x)` and `%s`/`%d` show a value.
    var formatted: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .uint(let u): String(u)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): s
        case .list(let l): "[" + l.map(\.formatted).joined(separator: ", ") + "]"
        case .map(let m): "{" + m.keys.sorted().map { "\($0): \(m[$0]!.formatted)" }.joined(separator: ", ") + "}"
        }
    }
}

/// A CEL type as the checker sees it, derived from the OpenAPI schema of the node a rule sits on.
indirect enum CELType: Sendable, Equatable {
    case dyn, null, bool, int, uint, double, string
    case list(CELType)
    /// additionalProperties: keys are any string.
    case map(CELType)
    /// An object with declared properties: selecting anything else is "undefined field".
    case object([String: CELType])

    init(schema: JSONValue?) {
        guard let schema else { self = .dyn; return }
        if schema["x-kubernetes-int-or-string"]?.boolValue == true || schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true {
            self = .dyn
            return
        }
        switch schema["type"]?.stringValue {
        case "boolean": self = .bool
        case "integer": self = .int
        case "number": self = .double
        case "string": self = .string
        case "array": self = .list(CELType(schema: schema["items"]))
        case "object":
            if let props = schema["properties"]?.objectValue {
                self = .object(props.mapValues { CELType(schema: $0) })
            } else if let ap = schema["additionalProperties"], case .object = ap {
                self = .map(CELType(schema: ap))
            } else {
                self = .dyn
            }
        default: self = .dyn
        }
    }

    /// cel-go's spelling in overload errors.
    var name: String {
        switch self {
        case .dyn: "dyn"
        case .null: "null_type"
        case .bool: "bool"
        case .int: "int"
        case .uint: "uint"
        case .double: "double"
        case .string: "string"
        case .list(let e): "list(\(e.name))"
        case .map(let v): "map(string, \(v.name))"
        case .object: "object"
        }
    }

    var isNumeric: Bool { self == .int || self == .uint || self == .double }

    /// Whether a value of one type may meet the other in `==` (dyn matches everything).
    static func compatible(_ a: CELType, _ b: CELType) -> Bool {
        switch (a, b) {
        case (.dyn, _), (_, .dyn): return true
        case (.null, _), (_, .null): return true
        case (.list(let x), .list(let y)): return compatible(x, y)
        case (.map, .map), (.object, .object), (.map, .object), (.object, .map): return true
        default: return a == b
        }
    }
}
