import Foundation
import KubeCore

/// What the hand-written JSON of a value parses to (`JSONWritable`), to compare with `foundationJSON`.
func handWrittenJSON(_ value: some JSONWritable, absentFieldsAsNull: Bool = false) throws -> JSONValue {
    var json = JSONWriter()
    json.writeWhole(value, absentFieldsAsNull: absentFieldsAsNull)
    return try JSONValue.parseFast(Data(json.bytes))
}

/// What Foundation's JSONEncoder writes for a value with `KubeJSON.encoder()`, parsed.
func foundationJSON(_ value: some Encodable) throws -> JSONValue {
    try JSONValue.parseFast(try KubeJSON.encoder().encode(value))
}

/// The stored optional fields of `value` that are nil: a fixture for these comparisons sets them all, so a field
/// added to a type (and not to its writer) shows up as a difference, not as two omissions that agree.
func unsetOptionalFields(of value: Any) -> [String] {
    Mirror(reflecting: value).children.filter { child in
        let field = Mirror(reflecting: child.value)
        return field.displayStyle == .optional && field.children.isEmpty
    }.map { $0.label ?? "?" }
}
