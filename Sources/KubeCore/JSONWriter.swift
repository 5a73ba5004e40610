import Foundation

/// A value that writes its own compact JSON (see `JSONWriter`): what parses to the same JSON as
/// `KubeJSON.encoder()` gives, without Foundation's JSONEncoder, which builds a tree of boxed values
/// for every write (a status write per resource made it a tenth of the operator's CPU).
public protocol JSONWritable {
    func writeJSON(to json: inout JSONWriter)
}

/// Compact JSON written straight into bytes, for hand-written encodings (`JSONWritable`). It writes what
/// `KubeJSON.encoder()` writes, up to key order and escapes that parse the same: absent optionals are
/// left out, times are RFC 3339 in whole seconds, an integral Double has no fraction.
///
/// `writeWhole(_:absentFieldsAsNull:)` writes the absent top-level fields of one object as `null`: a merge
/// patch that carries that object replaces it whole (RFC 7386 removes a field whose patch value is null).
public struct JSONWriter {
    public private(set) var bytes: [UInt8]
    /// Whether a comma goes before the next key or array element.
    private var needsComma = false
    private var depth = 0
    /// The object depth whose absent fields are written as null (see `writeWhole`).
    private var nullDepth = -1

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    public mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        depth += 1
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        depth -= 1
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// Writes a key; its value comes next.
    public mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    /// Writes a key that is data (a map's key), escaped as a string.
    public mutating func mapKey(_ name: String) {
        separate()
        JSONValue.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// Writes `value` as an object whose absent fields are `null` when `absentFieldsAsNull`: the body of a
    /// merge patch that replaces it whole. Only its own fields: absent fields of nested objects are left
    /// out as usual (a null inside a list would be stored as one).
    public mutating func writeWhole(_ value: some JSONWritable, absentFieldsAsNull: Bool) {
        let outer = nullDepth
        nullDepth = absentFieldsAsNull ? depth + 1 : -1
        value.writeJSON(to: &self)
        nullDepth = outer
    }

    // MARK: Values

    public mutating func null() {
        separate()
        bytes.append(contentsOf: [110, 117, 108, 108])
        needsComma = true
    }

    public mutating func value(_ s: String) {
        separate()
        JSONValue.writeString(s, into: &bytes)
        needsComma = true
    }

    public mutating func value(_ b: Bool) {
        separate()
        bytes.append(contentsOf: b ? [116, 114, 117, 101] : [102, 97, 108, 115, 101])
        needsComma = true
    }

    public mutating func value(_ i: Int64) {
        separate()
        bytes.append(contentsOf: String(i).utf8)
        needsComma = true
    }

    public mutating func value(_ i: Int) { value(Int64(i)) }

    /// As JSONEncoder writes a Double: its shortest description without a trailing ".0" (no JSON number
    /// exists for NaN or an infinity: null, which the API server refuses where a number is required).
    public mutating func value(_ d: Double) {
        guard d.isFinite else { return null() }
        separate()
        var s = d.description
        if s.hasSuffix(".0") { s.removeLast(2) }
        bytes.append(contentsOf: s.utf8)
        needsComma = true
    }

    /// metav1.Time: RFC 3339 in whole seconds.
    public mutating func value(_ date: Date) { value(KubeTime.format(date)) }

    // MARK: Fields

    /// A field: its key and value, or nothing when absent (null inside `writeWhole`).
    public mutating func field(_ name: StaticString, _ v: (some JSONWritable)?) {
        if let v {
            key(name)
            v.writeJSON(to: &self)
        } else {
            absent(name)
        }
    }

    // MARK: Internals

    private mutating func absent(_ name: StaticString) {
        guard depth == nullDepth else { return }
        key(name)
        null()
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }
}

// The values fields hold, written as `KubeJSON.encoder()` writes them.

extension String: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }
extension Bool: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }
extension Int: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }
extension Int64: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }
extension Double: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }
extension Date: JSONWritable { public func writeJSON(to json: inout JSONWriter) { json.value(self) } }

/// A string enum (declare the conformance: `extension Phase: JSONWritable {}`).
extension JSONWritable where Self: RawRepresentable, RawValue == String {
    public func writeJSON(to json: inout JSONWriter) { json.value(rawValue) }
}

extension Array: JSONWritable where Element: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginArray()
        for element in self { element.writeJSON(to: &json) }
        json.endArray()
    }
}

/// A map, keys sorted (as `KubeJSON.encoder()` sorts them).
extension Dictionary: JSONWritable where Key == String, Value: JSONWritable {
    public func writeJSON(to json: inout JSONWriter) {
        json.beginObject()
        for key in keys.sorted() {
            json.mapKey(key)
            self[key]!.writeJSON(to: &json)
        }
        json.endObject()
    }
}
