import Foundation
import KubeCore

/// Decodes `Decodable` types straight from JSON bytes through a `JSONTape`, with the API server's
/// conventions (times as RFC 3339 via `KubeTime`, `Data` as base64). Several times faster than
/// Foundation's JSONDecoder on Linux for Kubernetes objects; used for every answer and watch event.
public struct KubeJSONDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let tape: JSONTape
        do { tape = try JSONTape(bytes) } catch let e as JSONTape.ParseError {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: e.description, underlyingError: e))
        }
        return try TapeBox(tape).decodeValue(T.self, at: 0, [])
    }

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: Array(data))
    }
}

/// The tape shared by the containers of one decode.
final class TapeBox {
    let tape: JSONTape
    init(_ tape: JSONTape) { self.tape = tape }

    var nodes: [JSONTape.Node] { tape.nodes }

    func kind(_ i: Int) -> JSONTape.Kind { tape.nodes[i].kind }

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

    func mismatch<T>(_ type: T.Type, _ i: Int, _ path: @autoclosure () -> [CodingKey]) -> DecodingError {
        if kind(i) == .null {
            return .valueNotFound(type, .init(codingPath: path(), debugDescription: "expected \(type) but found null"))
        }
        return .typeMismatch(type, .init(codingPath: path(), debugDescription: "expected \(type) but found \(describe(i))"))
    }

    func bool(_ i: Int, _ path: @autoclosure () -> [CodingKey]) throws -> Bool {
        switch kind(i) {
        case .true: return true
        case .false: return false
        default: throw mismatch(Bool.self, i, path())
        }
    }

    func string(_ i: Int, _ path: @autoclosure () -> [CodingKey]) throws -> String {
        switch kind(i) {
        case .string, .escapedString:
            do { return try tape.string(i) } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "\(error)"))
            }
        default: throw mismatch(String.self, i, path())
        }
    }

    func double(_ i: Int, _ path: @autoclosure () -> [CodingKey]) throws -> Double {
        guard kind(i) == .number else { throw mismatch(Double.self, i, path()) }
        if let v = tape.int64(i), abs(v) < (1 << 53) { return Double(v) }
        guard let d = Double(tape.numberText(i)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "not a number: \(tape.numberText(i))"))
        }
        return d
    }

    func integer<T: FixedWidthInteger>(_ type: T.Type, _ i: Int, _ path: @autoclosure () -> [CodingKey]) throws -> T {
        guard kind(i) == .number else { throw mismatch(T.self, i, path()) }
        if let v = tape.int64(i), let t = T(exactly: v) { return t }
        if let u = UInt64(tape.numberText(i)), let t = T(exactly: u) { return t }
        throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "\(tape.numberText(i)) does not fit in \(T.self)"))
    }

    func decodeValue<T: Decodable>(_ type: T.Type, at i: Int, _ path: @autoclosure () -> [CodingKey]) throws -> T {
        // Fast paths for the leaf types of Kubernetes objects.
        if T.self == String.self { return try string(i, path()) as! T }
        if T.self == Bool.self { return try bool(i, path()) as! T }
        if T.self == Int.self { return try integer(Int.self, i, path()) as! T }
        if T.self == Int64.self { return try integer(Int64.self, i, path()) as! T }
        if T.self == Int32.self { return try integer(Int32.self, i, path()) as! T }
        if T.self == Double.self { return try double(i, path()) as! T }
        if T.self == Date.self {
            let s = try string(i, path())
            guard let date = KubeTime.parse(s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "not an RFC 3339 time: \(s)"))
            }
            return date as! T
        }
        if T.self == Data.self {
            let s = try string(i, path())
            guard let data = Data(base64Encoded: s) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path(), debugDescription: "not base64 data"))
            }
            return data as! T
        }
        return try T(from: TapeDecoder(box: self, index: i, codingPath: path()))
    }
}

struct TapeDecoder: Decoder {
    let box: TapeBox
    let index: Int
    var codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard box.kind(index) == .object else { throw box.mismatch([String: Any].self, index, codingPath) }
        return KeyedDecodingContainer(TapeKeyedContainer<Key>(box: box, index: index, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard box.kind(index) == .array else { throw box.mismatch([Any].self, index, codingPath) }
        return TapeUnkeyedContainer(box: box, index: index, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        TapeSingleValueContainer(box: box, index: index, codingPath: codingPath)
    }
}

/// One object being decoded: where it is, and where the last key was found (keys are mostly asked
/// for in document order, so the next search starts there: a map of n keys decodes in O(n)).
final class KeyedState {
    let box: TapeBox
    let index: Int
    let count: Int
    let codingPath: [CodingKey]
    var member = 0
    var node: Int

    init(box: TapeBox, index: Int, codingPath: [CodingKey]) {
        self.box = box
        self.index = index
        self.count = Int(box.tape.nodes[index].start)
        self.codingPath = codingPath
        self.node = index + 1
    }
}

struct TapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let state: KeyedState
    var box: TapeBox { state.box }
    var index: Int { state.index }
    var count: Int { state.count }
    var codingPath: [CodingKey] { state.codingPath }

    init(box: TapeBox, index: Int, codingPath: [CodingKey]) {
        state = KeyedState(box: box, index: index, codingPath: codingPath)
    }

    var allKeys: [Key] {
        var keys: [Key] = []
        keys.reserveCapacity(count)
        var j = index + 1
        for _ in 0..<count {
            if let s = try? box.tape.string(j), let k = Key(stringValue: s) { keys.append(k) }
            j = Int(box.tape.nodes[j + 1].next)
        }
        return keys
    }

    /// The value node of `key`, or nil.
    func find(_ key: Key) -> Int? {
        guard count > 0 else { return nil }
        let name = key.stringValue
        let nodes = box.tape.nodes
        let cursor = state
        var member = cursor.member
        var j = cursor.node
        for _ in 0..<count {
            if box.tape.stringEquals(j, name) {
                // Next search starts after this member.
                let after = Int(nodes[j + 1].next)
                if member + 1 < count {
                    cursor.member = member + 1
                    cursor.node = after
                } else {
                    cursor.member = 0
                    cursor.node = index + 1
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

    func path(_ key: Key) -> [CodingKey] { codingPath + [key] }

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

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try box.bool(try value(key), path(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try box.string(try value(key), path(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try box.double(try value(key), path(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try box.double(try value(key), path(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try box.integer(Int.self, try value(key), path(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try box.integer(Int8.self, try value(key), path(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try box.integer(Int16.self, try value(key), path(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try box.integer(Int32.self, try value(key), path(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try box.integer(Int64.self, try value(key), path(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try box.integer(UInt.self, try value(key), path(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try box.integer(UInt8.self, try value(key), path(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try box.integer(UInt16.self, try value(key), path(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try box.integer(UInt32.self, try value(key), path(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try box.integer(UInt64.self, try value(key), path(key)) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { guard let v = present(key) else { return nil }; return try box.bool(v, path(key)) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { guard let v = present(key) else { return nil }; return try box.string(v, path(key)) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { guard let v = present(key) else { return nil }; return try box.double(v, path(key)) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { guard let v = present(key) else { return nil }; return try box.integer(Int.self, v, path(key)) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { guard let v = present(key) else { return nil }; return try box.integer(Int64.self, v, path(key)) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { guard let v = present(key) else { return nil }; return try box.integer(Int32.self, v, path(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try box.decodeValue(T.self, at: try value(key), path(key))
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = present(key) else { return nil }
        return try box.decodeValue(T.self, at: v, path(key))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TapeDecoder(box: box, index: try value(key), codingPath: path(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
        try TapeDecoder(box: box, index: try value(key), codingPath: path(key)).unkeyedContainer()
    }

    func superDecoder() throws -> Decoder {
        TapeDecoder(box: box, index: index, codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> Decoder {
        TapeDecoder(box: box, index: try value(key), codingPath: path(key))
    }
}

struct TapeUnkeyedContainer: UnkeyedDecodingContainer {
    let box: TapeBox
    let index: Int
    var codingPath: [CodingKey]
    var count: Int?
    var currentIndex = 0
    /// Node of the current element.
    var node: Int

    init(box: TapeBox, index: Int, codingPath: [CodingKey]) {
        self.box = box
        self.index = index
        self.codingPath = codingPath
        self.count = Int(box.tape.nodes[index].start)
        self.node = index + 1
    }

    var isAtEnd: Bool { currentIndex >= count! }

    struct IndexKey: CodingKey {
        var intValue: Int?
        var stringValue: String { "Index \(intValue ?? 0)" }
        init(_ i: Int) { intValue = i }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    var path: [CodingKey] { codingPath + [IndexKey(currentIndex)] }

    /// The current element's node; moves past it.
    mutating func take() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: path, debugDescription: "unkeyed container is at its end"))
        }
        let v = node
        node = Int(box.tape.nodes[node].next)
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

    mutating func decode(_ type: Bool.Type) throws -> Bool { let v = try take(); return try box.bool(v, path) }
    mutating func decode(_ type: String.Type) throws -> String { let v = try take(); return try box.string(v, path) }
    mutating func decode(_ type: Double.Type) throws -> Double { let v = try take(); return try box.double(v, path) }
    mutating func decode(_ type: Float.Type) throws -> Float { let v = try take(); return Float(try box.double(v, path)) }
    mutating func decode(_ type: Int.Type) throws -> Int { let v = try take(); return try box.integer(Int.self, v, path) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { let v = try take(); return try box.integer(Int8.self, v, path) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { let v = try take(); return try box.integer(Int16.self, v, path) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { let v = try take(); return try box.integer(Int32.self, v, path) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { let v = try take(); return try box.integer(Int64.self, v, path) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { let v = try take(); return try box.integer(UInt.self, v, path) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { let v = try take(); return try box.integer(UInt8.self, v, path) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { let v = try take(); return try box.integer(UInt16.self, v, path) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { let v = try take(); return try box.integer(UInt32.self, v, path) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { let v = try take(); return try box.integer(UInt64.self, v, path) }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let p = path
        let v = try take()
        return try box.decodeValue(T.self, at: v, p)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let p = path
        let v = try take()
        return try TapeDecoder(box: box, index: v, codingPath: p).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer {
        let p = path
        let v = try take()
        return try TapeDecoder(box: box, index: v, codingPath: p).unkeyedContainer()
    }

    mutating func superDecoder() throws -> Decoder {
        let p = path
        let v = try take()
        return TapeDecoder(box: box, index: v, codingPath: p)
    }
}

struct TapeSingleValueContainer: SingleValueDecodingContainer {
    let box: TapeBox
    let index: Int
    var codingPath: [CodingKey]

    func decodeNil() -> Bool { box.kind(index) == .null }

    func decode(_ type: Bool.Type) throws -> Bool { try box.bool(index, codingPath) }
    func decode(_ type: String.Type) throws -> String { try box.string(index, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try box.double(index, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { Float(try box.double(index, codingPath)) }
    func decode(_ type: Int.Type) throws -> Int { try box.integer(Int.self, index, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try box.integer(Int8.self, index, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try box.integer(Int16.self, index, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try box.integer(Int32.self, index, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try box.integer(Int64.self, index, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try box.integer(UInt.self, index, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try box.integer(UInt8.self, index, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try box.integer(UInt16.self, index, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try box.integer(UInt32.self, index, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try box.integer(UInt64.self, index, codingPath) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try box.decodeValue(T.self, at: index, codingPath)
    }
}
