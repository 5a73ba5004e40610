import Foundation
import KubeCore

/// Structural-schema admission for custom resources: pruning of unknown fields, defaults, and a
/// subset of OpenAPI v3 validation (type, required, enum, minimum/maximum, exclusive bounds,
/// minLength/maxLength, pattern, minItems/maxItems, additionalProperties, x-kubernetes-preserve-unknown-fields,
/// x-kubernetes-int-or-string, list-type map/set uniqueness). CEL rules (`x-kubernetes-validations`) are
/// evaluated after it, by `CELValidationRules`.
struct SchemaAdmission {
    /// Defaulted and pruned object.
    var object: JSONValue
    /// Validation failures, as the API server reports them in `details.causes`.
    var causes: [StatusResponse.Cause] = []
    /// Field paths removed because the schema does not know them ("spec.unknownField").
    var pruned: [String] = []

    init(object: JSONValue, schema: JSONValue?) {
        self.object = object
        guard let schema else { return }
        var o = object
        walk(&o, schema, path: "", root: true)
        self.object = o
    }

    /// The hook other code can call: validation failures of `object` against a CRD version's schema.
    static func validate(object: JSONValue, schema: JSONValue?) -> [StatusResponse.Cause] {
        SchemaAdmission(object: object, schema: schema).causes
    }

    private mutating func fail(_ reason: String, _ message: String, _ path: String) {
        causes.append(StatusResponse.Cause(reason: reason, message: message, field: path))
    }

    private static func show(_ v: JSONValue) -> String { v.compactString() }

    private mutating func walk(_ value: inout JSONValue, _ schema: JSONValue, path: String, root: Bool = false) {
        if schema["x-kubernetes-int-or-string"]?.boolValue == true {
            switch value {
            case .int, .string: break
            default: fail("FieldValueTypeInvalid", "Invalid value: \(Self.show(value)): \(path) in body must be of type integer-or-string: \(Self.show(value))", path)
            }
            return
        }
        let type = schema["type"]?.stringValue
        if value.isNull {
            if schema["nullable"]?.boolValue == true { return }
            if let type { fail("FieldValueTypeInvalid", "Invalid value: \"null\": \(path) in body must be of type \(type): \"null\"", path) }
            return
        }
        if let type, !Self.has(value, type: type) {
            fail("FieldValueTypeInvalid", "Invalid value: \(Self.show(value)): \(path) in body must be of type \(type): \(Self.typeName(value))", path)
            return
        }
        if let e = schema["enum"]?.arrayValue, !e.contains(where: { Self.equal($0, value) }) {
            fail("FieldValueNotSupported", "Unsupported value: \(Self.show(value)): supported values: \(e.map(Self.show).joined(separator: ", "))", path)
        }
        switch value {
        case .object(var o):
            let props = schema["properties"]?.objectValue
            let preserve = schema["x-kubernetes-preserve-unknown-fields"]?.boolValue == true
            let additional = schema["additionalProperties"]
            // Defaults first, so they are validated like given values.
            for (k, ps) in props ?? [:] where o[k] == nil {
                if let d = ps["default"] { o[k] = d }
            }
            for k in o.keys.sorted() {
                let childPath = path.isEmpty ? k : "\(path).\(k)"
                if root, k == "apiVersion" || k == "kind" || k == "metadata" { continue }
                if let ps = props?[k] {
                    var child = o[k]!
                    if child.isNull, ps["nullable"]?.boolValue != true {
                        // The API server drops nulls of non-nullable fields (apply them as "unset").
                        o.removeValue(forKey: k)
                        continue
                    }
                    walk(&child, ps, path: childPath)
                    o[k] = child
                } else if case .object = additional ?? .null, let ad = additional {
                    var child = o[k]!
                    walk(&child, ad, path: childPath)
                    o[k] = child
                } else if additional?.boolValue == true || preserve || (props == nil && additional == nil && schema["type"] == nil) {
                    continue
                } else {
                    pruned.append(childPath)
                    o.removeValue(forKey: k)
                }
            }
            for r in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where o[r] == nil {
                fail("FieldValueRequired", "Required value", path.isEmpty ? r : "\(path).\(r)")
            }
            if let m = schema["maxProperties"]?.intValue, o.count > Int(m) {
                fail("FieldValueTooMany", "Too many: \(o.count): must have at most \(m) items", path)
            }
            if let m = schema["minProperties"]?.intValue, o.count < Int(m) {
                fail("FieldValueInvalid", "Invalid value: \(o.count): \(path) in body should have at least \(m) properties", path)
            }
            value = .object(o)
        case .array(var a):
            if let items = schema["items"], case .object = items {
                for i in a.indices { walk(&a[i], items, path: "\(path)[\(i)]") }
            }
            if let m = schema["maxItems"]?.intValue, a.count > Int(m) {
                fail("FieldValueTooMany", "Too many: \(a.count): must have at most \(m) items", path)
            }
            if let m = schema["minItems"]?.intValue, a.count < Int(m) {
                fail("FieldValueInvalid", "Invalid value: \(a.count): \(path) in body should have at least \(m) items", path)
            }
            if schema["uniqueItems"]?.boolValue == true, Set(a).count != a.count {
                fail("FieldValueDuplicate", "Duplicate value: \(Self.show(value))", path)
            }
            checkListType(a, schema, path: path)
            value = .array(a)
        case .string(let s):
            let n = s.count
            if let m = schema["maxLength"]?.intValue, n > Int(m) {
                fail("FieldValueTooLong", "Too long: may not be more than \(m) bytes", path)
            }
            if let m = schema["minLength"]?.intValue, n < Int(m) {
                fail("FieldValueInvalid", "Invalid value: \(Self.show(value)): \(path) in body should be at least \(m) chars long", path)
            }
            if let p = schema["pattern"]?.stringValue {
                if s.range(of: p, options: .regularExpression) == nil {
                    fail("FieldValueInvalid", "Invalid value: \(Self.show(value)): \(path) in body should match '\(p)'", path)
                }
            }
            if schema["format"]?.stringValue == "date-time", KubeTime.parse(s) == nil {
                fail("FieldValueInvalid", "Invalid value: \(Self.show(value)): \(path) in body must be of type date-time: \(Self.show(value))", path)
            }
        case .int, .double:
            let d = value.doubleValue ?? 0
            let shown = Self.show(value)
            if let m = schema["minimum"]?.doubleValue {
                let excl = schema["exclusiveMinimum"]?.boolValue == true
                if excl ? d <= m : d < m {
                    fail("FieldValueInvalid", "Invalid value: \(shown): \(path) in body should be greater than \(excl ? "" : "or equal to ")\(Self.show(schema["minimum"]!))", path)
                }
            }
            if let m = schema["maximum"]?.doubleValue {
                let excl = schema["exclusiveMaximum"]?.boolValue == true
                if excl ? d >= m : d > m {
                    fail("FieldValueInvalid", "Invalid value: \(shown): \(path) in body should be less than \(excl ? "" : "or equal to ")\(Self.show(schema["maximum"]!))", path)
                }
            }
            if let m = schema["multipleOf"]?.doubleValue, m != 0, (d / m).rounded() != d / m {
                fail("FieldValueInvalid", "Invalid value: \(shown): \(path) in body should be a multiple of \(Self.show(schema["multipleOf"]!))", path)
            }
        default:
            break
        }
    }

    /// `x-kubernetes-list-type: map` items are unique by their keys, `set` items by value: the second of a pair
    /// is `Duplicate value` showing the keys (in list-map-keys order) or the value.
    private mutating func checkListType(_ a: [JSONValue], _ schema: JSONValue, path: String) {
        switch schema["x-kubernetes-list-type"]?.stringValue {
        case "map":
            let keys = schema["x-kubernetes-list-map-keys"]?.arrayValue?.compactMap(\.stringValue) ?? []
            guard !keys.isEmpty else { return }
            var seen: Set<[JSONValue]> = []
            for (i, item) in a.enumerated() {
                let id = keys.map { item[$0] ?? .null }
                if seen.insert(id).inserted { continue }
                let shown = keys.compactMap { k -> String? in
                    guard let v = item[k] else { return nil }
                    return "\(q(k)):\(Self.show(v))"
                }.joined(separator: ",")
                fail("FieldValueDuplicate", "Duplicate value: {\(shown)}", "\(path)[\(i)]")
            }
        case "set":
            var seen: Set<JSONValue> = []
            for (i, item) in a.enumerated() where !seen.insert(item).inserted {
                fail("FieldValueDuplicate", "Duplicate value: \(Self.show(item))", "\(path)[\(i)]")
            }
        default:
            break
        }
    }

    static func has(_ v: JSONValue, type: String) -> Bool {
        switch (type, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d == d.rounded()
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    static func typeName(_ v: JSONValue) -> String {
        switch v {
        case .object: return "\"object\""
        case .array: return "\"array\""
        case .string: return "\"string\""
        case .bool: return "\"boolean\""
        case .int: return "\"integer\""
        case .double: return "\"number\""
        case .null: return "\"null\""
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}
