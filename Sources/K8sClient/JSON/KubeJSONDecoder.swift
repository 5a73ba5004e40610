import Foundation
import KubeCore
import NIOCore

/// Decodes `Decodable` types straight from JSON bytes through a `JSONTape`, with the API server's
/// conventions (times as RFC 3339 via `KubeTime`, `Data` as base64). Several times faster than
/// Foundation's JSONDecoder on Linux for Kubernetes objects; used for every answer and watch event.
public struct KubeJSONDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try bytes.withUnsafeBufferPointer { try decode(type, from: $0) }
    }

    /// Decodes the readable bytes of `buffer` in place (a watch line or an answer body, not copied).
    public func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws -> T {
        try buffer.withUnsafeReadableBytes { raw in
            try decode(type, from: UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
        }
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeBufferPointer<UInt8>) throws -> T {
        let tape: JSONTape
        do { tape = try JSONTape(bytes) } catch let e as JSONTape.ParseError {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: e.description, underlyingError: e))
        }
        // The tape and its nodes are read through pointers valid for this scope: the decode must not outlive it.
        return try tape.nodes.withUnsafeBufferPointer { nodes in
            try TapeBox(tape, nodes: nodes).decodeValue(T.self, at: 0)
        }
    }

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: Array(data))
    }
}

/// The tape shared by the containers of one decode. Its nodes and bytes are read through pointers, valid
/// for the decode only (no retain, release or bounds check per read: decoding a watch event reads them a
/// few thousand times). Containers and decoders carry only a node index, no coding path:
/// `codingPath(to:)` finds the path from the tape when an error or a type asks for it.
final class TapeBox {
    let tape: JSONTape
    let nodes: UnsafeBufferPointer<JSONTape.Node>
    let bytes: UnsafeBufferPointer<UInt8>

    init(_ tape: JSONTape, nodes: UnsafeBufferPointer<JSONTape.Node>) {
        self.tape = tape
        self.nodes = nodes
        self.bytes = tape.bytes
    }

    @inline(__always) func kind(_ i: Int) -> JSONTape.Kind { nodes[i].kind }

    /// The bytes of a string node (inside the quotes, still escaped) or a number node.
    @inline(__always) func text(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let n = nodes[i]
        return UnsafeBufferPointer(start: bytes.baseAddress! + Int(n.start), count: Int(n.length))
    }

    /// Whether the key (string node) `i` is `key`.
    @inline(__always) func keyEquals(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = nodes[i]
        guard n.kind == .string else { return n.kind == .escapedString && tape.stringEquals(i, String(decoding: key, as: UTF8.self)) }
        guard Int(n.length) == key.count else { return false }
        // Keys are short: compared in place (a memcmp call costs more than the loop).
        let start = Int(n.start)
        for j in 0..<key.count where bytes[start + j] != key[j] { return false }
        return true
    }

    /// The path of node `target` from the root, found by walking down the tape.
    func codingPath(to target: Int) -> [CodingKey] {
        var path: [CodingKey] = []
        var i = 0
        descend: while i != target {
            let n = nodes[i]
            var j = i + 1
            switch n.kind {
            case .object:
                for _ in 0..<Int(n.start) {
                    let value = j + 1, after = Int(nodes[value].next)
                    if target >= value && target < after {
                        path.append(TapeKey(stringValue: (try? tape.string(j)) ?? ""))
                        i = value
                        continue descend
                    }
                    j = after
                }
            case .array:
                for e in 0..<Int(n.start) {
                    let after = Int(nodes[j].next)
                    if target >= j && target < after {
                        path.append(TapeUnkeyedContainer.IndexKey(e))
                        i = j
                        continue descend
                    }
                    j = after
                }
            default: break
            }
            break
        }
        return path
    }

    func describe(_ i: Int) -> String {
        switch kind(i) {
        case .object: return "an object"
        case .array: return "an array"
        case .string, .escapedString: return "a string"
        case .number: return "a number"
        case .true, .false: return "a boolean"
        case .null: return "null"
        }
    }

    func mismatch<T>(_ type: T.Type, _ i: Int) -> DecodingError {
        if kind(i) == .null {
            return .valueNotFound(type, .init(codingPath: codingPath(to: i), debugDescription: "expected \(type) but found null"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath(to: i), debugDescription: "expected \(type) but found \(describe(i))"))
    }

    func corrupted(_ i: Int, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath(to: i), debugDescription: message))
    }

    func bool(_ i: Int) throws -> Bool {
        switch kind(i) {
        case .true: return true
        case .false: return false
        default: throw mismatch(Bool.self, i)
        }
    }

    func string(_ i: Int) throws -> String {
        switch kind(i) {
        case .string: return String(decoding: text(i), as: UTF8.self)
        case .escapedString:
            do { return try tape.string(i) } catch { throw corrupted(i, "\(error)") }
        default: throw mismatch(String.self, i)
        }
    }

    func double(_ i: Int) throws -> Double {
        guard kind(i) == .number else { throw mismatch(Double.self, i) }
        if let v = tape.int64(i), abs(v) < (1 << 53) { return Double(v) }
        guard let d = Double(tape.numberText(i)) else { throw corrupted(i, "not a number: \(tape.numberText(i))") }
        return d
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, _ i: Int) throws -> T {
        guard kind(i) == .number else { throw mismatch(T.self, i) }
        if let v = tape.int64(i), let t = T(exactly: v) { return t }
        if let u = UInt64(tape.numberText(i)), let t = T(exactly: u) { return t }
        throw corrupted(i, "\(tape.numberText(i)) does not fit in \(T.self)")
    }

    func date(_ i: Int) throws -> Date {
        let parsed: Date?
        if kind(i) == .string {
            parsed = KubeTime.parse(utf8: text(i))
        } else {
            parsed = KubeTime.parse(try string(i))
        }
        guard let parsed else { throw corrupted(i, "not an RFC 3339 time: \((try? string(i)) ?? "")") }
        return parsed
    }

    /// A JSON object of strings (labels, annotations, tags) read straight off the tape; as the generic path,
    /// a repeated key keeps its last value.
    func stringMap(_ i: Int) throws -> [String: String] {
        guard kind(i) == .object else { throw mismatch([String: String].self, i) }
        let count = Int(nodes[i].start)
        var out = [String: String](minimumCapacity: count)
        var j = i + 1
        for _ in 0..<count {
            out[try string(j)] = try string(j + 1)
            j = Int(nodes[j + 1].next)
        }
        return out
    }

    func stringArray(_ i: Int) throws -> [String] {
        guard kind(i) == .array else { throw mismatch([String].self, i) }
        let count = Int(nodes[i].start)
        var out: [String] = []
        out.reserveCapacity(count)
        var j = i + 1
        for _ in 0..<count {
            out.append(try string(j))
            j = Int(nodes[j].next)
        }
        return out
    }

    func decodeValue<T: Decodable>(_ type: T.Type, at i: Int) throws -> T {
        // Fast paths for the leaf types and string collections of Kubernetes objects.
        if T.self == String.self { return try string(i) as! T }
        if T.self == Date.self { return try date(i) as! T }
        if T.self == [String: String].self { return try stringMap(i) as! T }
        if T.self == Int64.self { return try integer(Int64.self, i) as! T }
        if T.self == Bool.self { return try bool(i) as! T }
        if T.self == Int.self { return try integer(Int.self, i) as! T }
        if T.self == [String].self { return try stringArray(i) as! T }
        if T.self == Int32.self { return try integer(Int32.self, i) as! T }
        if T.self == Double.self { return try double(i) as! T }
        if T.self == Data.self {
            let s = try string(i)
            guard let data = Data(base64Encoded: s) else { throw corrupted(i, "not base64 data") }
            return data as! T
        }
        return try T(from: TapeDecoder(box: self, index: i))
    }
}

/// A key of a coding path rebuilt from the tape.
struct TapeKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct TapeDecoder: Decoder {
    let box: TapeBox
    let index: Int
    var codingPath: [CodingKey] { box.codingPath(to: index) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard box.kind(index) == .object else { throw box.mismatch([String: Any].self, index) }
        return KeyedDecodingContainer(TapeKeyedContainer<Key>(box: box, index: index))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard box.kind(index) == .array else { throw box.mismatch([Any].self, index) }
        return TapeUnkeyedContainer(box: box, index: index)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        TapeSingleValueContainer(box: box, index: index)
    }
}

/// One object being decoded: where it is, and where the last key was found (keys are mostly asked
/// for in document order, so the next search starts there: a map of n keys decodes in O(n)).
final class KeyedState {
    let box: TapeBox
    let index: Int
    let count: Int
    var member = 0
    var node: Int

    init(box: TapeBox, index: Int) {
        self.box = box
        self.index = index
        self.count = Int(box.nodes[index].start)
        self.node = index + 1
    }

    /// The value node of the member named `key`, or nil.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard count > 0 else { return nil }
        let nodes = box.nodes
        var member = self.member
        var j = node
        for _ in 0..<count {
            if box.keyEquals(j, key) {
                // Next search starts after this member.
                if member + 1 < count {
                    self.member = member + 1
                    node = Int(nodes[j + 1].next)
                } else {
                    self.member = 0
                    node = index + 1
                }
                return j + 1
            }
            member += 1
            if member == count {
                member = 0
                j = index + 1
            } else {
                j = Int(nodes[j + 1].next)
            }
        }
        return nil
    }
}

struct TapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: KeyedState
    var box: TapeBox { state.box }
    var index: Int { state.index }
    var count: Int { state.count }
    var codingPath: [CodingKey] { box.codingPath(to: index) }

    init(box: TapeBox, index: Int) {
        state = KeyedState(box: box, index: index)
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var j = index + 1
        for _ in 0..<count {
            if let s = try? box.tape.string(j), let k = Key(stringValue: s) { keys.append(k) }
            j = Int(box.nodes[j + 1].next)
        }
        return keys
    }

    /// The value node of `key`, or nil.
    func find(_ key: Key) -> Int? {
        guard count > 0 else { return nil }
        var name = key.stringValue
        return name.withUTF8 { state.find($0) }
    }

    func value(_ key: Key) throws -> Int {
        guard let v = find(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for key \"\(key.stringValue)\""))
        }
        return v
    }

    /// The value node of `key` unless it is absent or null.
    func present(_ key: Key) -> Int? {
        guard let v = find(key), box.kind(v) != .null else { return nil }
        return v
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { box.kind(try value(key)) == .null }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try box.bool(try value(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try box.string(try value(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try box.double(try value(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try box.double(try value(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try box.integer(Int.self, try value(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try box.integer(Int8.self, try value(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try box.integer(Int16.self, try value(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try box.integer(Int32.self, try value(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try box.integer(Int64.self, try value(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try box.integer(UInt.self, try value(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try box.integer(UInt8.self, try value(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try box.integer(UInt16.self, try value(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try box.integer(UInt32.self, try value(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try box.integer(UInt64.self, try value(key)) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { guard let v = present(key) else { return nil }; return try box.bool(v) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { guard let v = present(key) else { return nil }; return try box.string(v) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { guard let v = present(key) else { return nil }; return try box.double(v) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { guard let v = present(key) else { return nil }; return try box.integer(Int.self, v) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { guard let v = present(key) else { return nil }; return try box.integer(Int64.self, v) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { guard let v = present(key) else { return nil }; return try box.integer(Int32.self, v) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try box.decodeValue(T.self, at: try value(key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = present(key) else { return nil }
        return try box.decodeValue(T.self, at: v)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TapeDecoder(box: box, index: try value(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try TapeDecoder(box: box, index: try value(key)).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        TapeDecoder(box: box, index: index)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        TapeDecoder(box: box, index: try value(key))
    }
}

struct TapeUnkeyedContainer: UnkeyedDecodingContainer {
    let box: TapeBox
    let index: Int
    var count: Int?
    var currentIndex = 0
    /// Node of the current element.
    var node: Int

    init(box: TapeBox, index: Int) {
        self.box = box
        self.index = index
        self.count = Int(box.nodes[index].start)
        self.node = index + 1
    }

    var codingPath: [CodingKey] { box.codingPath(to: index) }

    var isAtEnd: Bool { currentIndex >= count! }

    struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    /// The current element's node; moves past it.
    mutating func take() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(
                codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "unkeyed container is at its end"))
        }
        let v = node
        node = Int(box.nodes[node].next)
        currentIndex += 1
        return v
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if box.kind(node) == .null {
            _ = try take()
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try box.bool(try take()) }
    mutating func decode(_ type: String.Type) throws -> String { try box.string(try take()) }
    mutating func decode(_ type: Double.Type) throws -> Double { try box.double(try take()) }
    mutating func decode(_ type: Float.Type) throws -> Float { Float(try box.double(try take())) }
    mutating func decode(_ type: Int.Type) throws -> Int { try box.integer(Int.self, try take()) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try box.integer(Int8.self, try take()) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try box.integer(Int16.self, try take()) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try box.integer(Int32.self, try take()) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try box.integer(Int64.self, try take()) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try box.integer(UInt.self, try take()) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try box.integer(UInt8.self, try take()) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try box.integer(UInt16.self, try take()) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try box.integer(UInt32.self, try take()) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try box.integer(UInt64.self, try take()) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try box.decodeValue(T.self, at: try take())
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try TapeDecoder(box: box, index: try take()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        try TapeDecoder(box: box, index: try take()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        TapeDecoder(box: box, index: try take())
    }
}

struct TapeSingleValueContainer: SingleValueDecodingContainer {
    let box: TapeBox
    let index: Int
    var codingPath: [CodingKey] { box.codingPath(to: index) }

    func decodeNil() -> Bool { box.kind(index) == .null }

    func decode(_ type: Bool.Type) throws -> Bool { try box.bool(index) }
    func decode(_ type: String.Type) throws -> String { try box.string(index) }
    func decode(_ type: Double.Type) throws -> Double { try box.double(index) }
    func decode(_ type: Float.Type) throws -> Float { Float(try box.double(index)) }
    func decode(_ type: Int.Type) throws -> Int { try box.integer(Int.self, index) }
    func decode(_ type: Int8.Type) throws -> Int8 { try box.integer(Int8.self, index) }
    func decode(_ type: Int16.Type) throws -> Int16 { try box.integer(Int16.self, index) }
    func decode(_ type: Int32.Type) throws -> Int32 { try box.integer(Int32.self, index) }
    func decode(_ type: Int64.Type) throws -> Int64 { try box.integer(Int64.self, index) }
    func decode(_ type: UInt.Type) throws -> UInt { try box.integer(UInt.self, index) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try box.integer(UInt8.self, index) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try box.integer(UInt16.self, index) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try box.integer(UInt32.self, index) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try box.integer(UInt64.self, index) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try box.decodeValue(T.self, at: index)
    }
}
