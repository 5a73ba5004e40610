import Foundation
import KubeCore

/// A structural OpenAPI v3 schema validator with the semantics the API server applies to custom resources
/// before CEL: type, nullable, required, enum, pattern, format (date-time, int32, int64), minLength/maxLength
/// (in characters), minimum/maximum, minItems/maxItems, minProperties/maxProperties, additionalProperties,
/// x-kubernetes-list-type set/map uniqueness. Unknown fields are reported (the server would prune them
/// silently, which is exactly the drift these tests exist to catch). `x-kubernetes-validations` (CEL) are not
/// evaluated here.
struct SchemaValidator {
    struct Failure: CustomStringConvertible, Hashable {
        var path: String
        var message: String
        var description: String { "\(path.isEmpty ? "<root>" : path): \(message)" }
    }

    /// Validates a whole object against a CRD's openAPIV3Schema (metadata is the server's own business).
    static func validateObject(_ object: JSONValue, schema: JSONValue) -> [Failure] {
        var v = SchemaValidator()
        v.check(object, schema, path: "", isRoot: true)
        return v.failures
    }

    /// Validates a value against a sub-schema (e.g. spec against the spec schema).
    static func validate(_ value: JSONValue, schema: JSONValue, path: String) -> [Failure] {
        var v = SchemaValidator()
        v.check(value, schema, path: path, isRoot: false)
        return v.failures
    }

    private var failures: [Failure] = []

    private mutating func fail(_ path: String, _ message: String) { failures.append(Failure(path: path, message: message)) }

    private mutating func check(_ value: JSONValue, _ schema: JSONValue, path: String, isRoot: Bool) {
        if value.isNull {
            if schema["nullable"]?.boolValue != true { fail(path, "null is not allowed") }
            return
        }
        guard let type = schema["type"]?.stringValue else {
            if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true || schema["x-kubernetes-int-or-string"]?.boolValue == true { return }
            fail(path, "schema has no type (not structural)")
            return
        }
        switch (type, value) {
        case ("object", .object(let object)):
            checkObject(object, schema, path: path, isRoot: isRoot)
        case ("array", .array(let items)):
            checkArray(items, schema, path: path)
        case ("string", .string(let s)):
            checkString(s, schema, path: path)
        case ("integer", .int(let i)):
            checkNumber(Double(i), integer: i, schema, path: path)
        case ("integer", .double(let d)) where d == d.rounded():
            checkNumber(d, integer: Int64(d), schema, path: path)
        case ("number", .int(let i)):
            checkNumber(Double(i), integer: nil, schema, path: path)
        case ("number", .double(let d)):
            checkNumber(d, integer: nil, schema, path: path)
        case ("boolean", .bool):
            break
        default:
            fail(path, "must be of type \(type), got \(Self.typeName(value))")
            return
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(where: { Self.sameValue($0, value) }) {
            let list = allowed.map { String(decoding: $0.serialized(), as: UTF8.self) }.joined(separator: ", ")
            fail(path, "unsupported value \(String(decoding: value.serialized(), as: UTF8.self)): supported values: \(list)")
        }
    }

    private mutating func checkObject(_ object: [String: JSONValue], _ schema: JSONValue, path: String, isRoot: Bool) {
        let properties = schema["properties"]?.objectValue
        for key in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[key] == nil {
            fail(join(path, key), "Required value")
        }
        if let n = schema["maxProperties"]?.intValue, object.count > n { fail(path, "must have at most \(n) properties") }
        if let n = schema["minProperties"]?.intValue, object.count < n { fail(path, "must have at least \(n) properties") }
        for (key, child) in object.sorted(by: { $0.key < $1.key }) {
            if isRoot, key == "metadata" { continue }
            if let p = properties?[key] {
                check(child, p, path: join(path, key), isRoot: false)
            } else if let additional = schema["additionalProperties"], additional.objectValue != nil {
                check(child, additional, path: join(path, key), isRoot: false)
            } else if schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true {
                continue
            } else {
                fail(join(path, key), "unknown field (the API server would drop it)")
            }
        }
    }

    private mutating func checkArray(_ items: [JSONValue], _ schema: JSONValue, path: String) {
        if let n = schema["maxItems"]?.intValue, items.count > n { fail(path, "must have at most \(n) items") }
        if let n = schema["minItems"]?.intValue, items.count < n { fail(path, "must have at least \(n) items") }
        if let itemSchema = schema["items"] {
            for (i, item) in items.enumerated() { check(item, itemSchema, path: "\(path)[\(i)]", isRoot: false) }
        } else {
            fail(path, "array schema has no items (not structural)")
        }
        switch schema["x-kubernetes-list-type"]?.stringValue {
        case "set":
            var seen = Set<JSONValue>()
            for (i, item) in items.enumerated() where !seen.insert(item).inserted {
                fail("\(path)[\(i)]", "Duplicate value: \(String(decoding: item.serialized(), as: UTF8.self))")
            }
        case "map":
            let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var seen = Set<[JSONValue]>()
            for (i, item) in items.enumerated() {
                let k = keys.map { item[$0] ?? .null }
                if !seen.insert(k).inserted { fail("\(path)[\(i)]", "Duplicate value: \(keys) = \(k)") }
            }
        default:
            break
        }
    }

    private mutating func checkString(_ s: String, _ schema: JSONValue, path: String) {
        let length = s.unicodeScalars.count
        if let n = schema["maxLength"]?.intValue, length > n { fail(path, "may not be more than \(n) characters") }
        if let n = schema["minLength"]?.intValue, length < n { fail(path, "should be at least \(n) chars long") }
        if let pattern = schema["pattern"]?.stringValue, !Self.matches(s, pattern) {
            fail(path, "should match '\(pattern)'")
        }
        if schema["format"]?.stringValue == "date-time", KubeTime.parse(s) == nil {
            fail(path, "must be an RFC 3339 date-time")
        }
    }

    private mutating func checkNumber(_ d: Double, integer: Int64?, _ schema: JSONValue, path: String) {
        if let min = schema["minimum"]?.doubleValue {
            let exclusive = schema["exclusiveMinimum"]?.boolValue == true
            if exclusive ? d <= min : d < min { fail(path, "should be greater than\(exclusive ? "" : " or equal to") \(min)") }
        }
        if let max = schema["maximum"]?.doubleValue {
            let exclusive = schema["exclusiveMaximum"]?.boolValue == true
            if exclusive ? d >= max : d > max { fail(path, "should be less than\(exclusive ? "" : " or equal to") \(max)") }
        }
        if let i = integer, schema["format"]?.stringValue == "int32", i < Int64(Int32.min) || i > Int64(Int32.max) {
            fail(path, "out of the int32 range")
        }
    }

    private func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// JSON equality where 1 and 1.0 are the same number.
    static func sameValue(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }

    /// Unanchored search like Go's `regexp.MatchString`, which the API server uses (the CRDs' patterns anchor
    /// themselves with ^ and $, and use only syntax RE2 and ICU share).
    static func matches(_ s: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        let range = NSRange(s.startIndex..., in: s)
        return regex.firstMatch(in: s, range: range) != nil
    }
}
