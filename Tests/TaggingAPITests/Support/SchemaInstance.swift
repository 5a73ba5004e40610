import Foundation
import KubeCore

/// Builds, from a schema, a JSON instance with every property filled in (respecting types, enums, ranges and
/// formats), to check that a Swift type decodes and re-encodes every field the schema declares.
/// Strings with a pattern take their value from `samples` (by schema path), since a value cannot be derived
/// from a regular expression in general; a missing sample is an error naming the path.
struct SchemaInstance {
    var samples: [String: JSONValue]
    private(set) var missingSamples: [String] = []

    static let sampleTime = "2026-01-02T03:04:05Z"

    init(samples: [String: JSONValue]) { self.samples = samples }

    mutating func build(_ schema: JSONValue, path: String = "") -> JSONValue {
        if let sample = samples[path] { return sample }
        if let first = schema["enum"]?.arrayValue?.first { return first }
        switch schema["type"]?.stringValue {
        case "object":
            if let properties = schema["properties"]?.objectValue {
                var out: [String: JSONValue] = [:]
                for (name, child) in properties {
                    out[name] = build(child, path: path.isEmpty ? name : "\(path).\(name)")
                }
                return .object(out)
            }
            if let values = schema["additionalProperties"], values.objectValue != nil {
                return .object(["example-key": build(values, path: path + "{}")])
            }
            return .object([:])
        case "array":
            return .array([build(schema["items"] ?? .null, path: path + "[]")])
        case "string":
            if schema["format"]?.stringValue == "date-time" { return .string(Self.sampleTime) }
            if schema["pattern"] != nil {
                missingSamples.append(path)
                return .string("")
            }
            let name = path.split(separator: ".").last.map { String($0).replacingOccurrences(of: "[]", with: "") } ?? "x"
            var s = "sample-\(name)"
            if let max = schema["maxLength"]?.intValue, s.count > max { s = String(s.prefix(Int(max))) }
            return .string(s)
        case "integer":
            let min = schema["minimum"]?.intValue ?? 0
            let max = schema["maximum"]?.intValue ?? Int64.max
            return .int(Swift.min(min + 1, max))
        case "number":
            let min = schema["minimum"]?.doubleValue ?? 0
            let max = schema["maximum"]?.doubleValue ?? 1
            return .double(min + (max - min) / 4)
        case "boolean":
            return .bool(true)
        default:
            return .null
        }
    }
}

/// Differences between two JSON values, as paths (1 and 1.0 are the same number).
func jsonDifferences(_ a: JSONValue, _ b: JSONValue, path: String = "") -> [String] {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        var out: [String] = []
        for key in Set(x.keys).union(y.keys).sorted() {
            let p = path.isEmpty ? key : "\(path).\(key)"
            switch (x[key], y[key]) {
            case (let l?, let r?): out += jsonDifferences(l, r, path: p)
            case (_?, nil): out.append("\(p): lost")
            case (nil, _?): out.append("\(p): appeared")
            case (nil, nil): break
            }
        }
        return out
    case (.array(let x), .array(let y)):
        guard x.count == y.count else { return ["\(path): \(x.count) items became \(y.count)"] }
        return zip(x, y).enumerated().flatMap { jsonDifferences($1.0, $1.1, path: "\(path)[\($0)]") }
    default:
        return SchemaValidator.sameValue(a, b)
            ? [] : ["\(path): \(String(decoding: a.serialized(), as: UTF8.self)) became \(String(decoding: b.serialized(), as: UTF8.self))"]
    }
}

/// Paths of a value's optionals that are nil and collections that are empty: a "fully populated" fixture must
/// have none, so that encoding it shows every field the Swift type has.
func unsetFields(_ value: Any, path: String = "") -> [String] {
    if value is Date || value is String || value is Bool || value is any Numeric { return [] }
    let mirror = Mirror(reflecting: value)
    switch mirror.displayStyle {
    case .optional:
        guard let wrapped = mirror.children.first else { return [path] }
        return unsetFields(wrapped.value, path: path)
    case .struct, .class:
        return mirror.children.flatMap { child in
            unsetFields(child.value, path: path.isEmpty ? (child.label ?? "?") : "\(path).\(child.label ?? "?")")
        }
    case .collection, .set:
        if mirror.children.isEmpty { return ["\(path) (empty)"] }
        return mirror.children.enumerated().flatMap { unsetFields($1.value, path: "\(path)[\($0)]") }
    case .dictionary:
        if mirror.children.isEmpty { return ["\(path) (empty)"] }
        return mirror.children.flatMap { pair in
            Mirror(reflecting: pair.value).children.dropFirst().flatMap { unsetFields($0.value, path: "\(path){}") }
        }
    default:
        return []
    }
}
