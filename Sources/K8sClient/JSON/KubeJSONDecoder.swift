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
        try reading(buffer) { try $0.decodeValue(T.self, at: 0) }
    }

    /// The readable bytes of `buffer` parsed in place, for `body` to decode from (see `TapeBox.reading`).
    func reading<R>(_ buffer: ByteBuffer, _ body: (TapeBox) throws -> R) throws -> R {
        try buffer.withUnsafeReadableBytes { raw in
            try TapeBox.reading(UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count), body)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, from bytes: UnsafeBufferPointer<UInt8>) throws -> T {
        try TapeBox.reading(bytes) { try $0.decodeValue(T.self, at: 0) }
    }

    public func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decode(type, from: Array(data))
    }
}

extension TapeBox {
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
        // Types with a hand-written reading (CloudResource and its parts) skip the containers.
        if let readable = T.self as? any TapeDecodable.Type { return try readable.init(tape: self, at: i) as! T }
        return try T(from: TapeDecoder(box: self, index: i))
    }
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

    /// The current element's node; moves past it.
    mutating func take() throws -> Int {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(
                codingPath: codingPath + [TapeKey(index: currentIndex)], debugDescription: "unkeyed container is at its end"))
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
