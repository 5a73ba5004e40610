import Foundation

/// A type that reads itself straight off a JSON tape: no Decoder, container, coding key or generic lookup
/// per field, one pass over the object's members. For the types decoded by the hundred thousand (every
/// CloudResource of a watch or a list); `KubeJSONDecoder` uses it when a type has it, Codable otherwise.
///
/// A conformance must give what `KubeJSON.decoder()` gives, errors included (same kind, same coding path):
/// each has a test comparing both. `tapeKeys` are the JSON keys it reads, in the order of the `readFields`
/// cases; its test checks them against the type's stored properties, so a property added to the type
/// and not to its reading fails a test instead of being dropped.
package protocol TapeDecodable {
    init(tape: TapeBox, at node: Int) throws
    static var tapeKeys: [StaticString] { get }
}

extension TapeBox {
    /// Parses `bytes` and hands `body` the box to decode from; the box reads `bytes` in place and must not
    /// outlive `body`. A malformed document is a `DecodingError.dataCorrupted`.
    package static func reading<R>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (TapeBox) throws -> R) throws -> R {
        let tape: JSONTape
        do { tape = try JSONTape(bytes) } catch let e as JSONTape.ParseError {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: e.description, underlyingError: e))
        }
        return try tape.nodes.withUnsafeBufferPointer { nodes in try body(TapeBox(tape, nodes: nodes)) }
    }

    /// One member of an object: the nodes of its key and of its value.
    package struct Member {
        package var key: Int
        package var value: Int

        @inlinable package init(key: Int, value: Int) {
            self.key = key
            self.value = value
        }
    }

    /// The members of an object, in document order.
    package struct Members {
        package let nodes: UnsafeBufferPointer<JSONTape.Node>
        package var remaining: Int
        package var key: Int

        @inlinable package init(nodes: UnsafeBufferPointer<JSONTape.Node>, remaining: Int, key: Int) {
            self.nodes = nodes
            self.remaining = remaining
            self.key = key
        }

        @inlinable package mutating func next() -> Member? {
            guard remaining > 0 else { return nil }
            remaining -= 1
            let member = Member(key: key, value: key + 1)
            key = Int(nodes[key + 1].next)
            return member
        }
    }

    /// The members of the object at `i`; a type mismatch (as `T` expected) when it is not an object.
    @inlinable package func members<T>(of i: Int, _ type: T.Type) throws -> Members {
        guard kind(i) == .object else { throw mismatch(T.self, i) }
        return Members(nodes: nodes, remaining: Int(nodes[i].start), key: i + 1)
    }

    /// The position in `keys` of the key (string node) `i`, or -1 when it is none of them.
    package func keyIndex(_ i: Int, _ keys: [StaticString]) -> Int {
        let n = nodes[i]
        if n.kind == .string {
            let length = Int(n.length)
            let start = bytes.baseAddress! + Int(n.start)
            // Keys are short: compared in place (a memcmp call costs more than the loop).
            search: for (k, key) in keys.enumerated() where key.utf8CodeUnitCount == length {
                let name = key.utf8Start
                for j in 0..<length where start[j] != name[j] { continue search }
                return k
            }
            return -1
        }
        // An escaped key (`"na\u006de"`): compared unescaped, as JSONDecoder does.
        guard let text = try? tape.string(i) else { return -1 }
        return keys.firstIndex { $0.description == text } ?? -1
    }

    /// Reads the object at `node` (a type mismatch, as `T` expected, when it is not one): `field` gets the
    /// position in `keys` and the value node of each member whose key is one of them. Of repeated keys only
    /// the first, as JSONDecoder reads; other keys are skipped.
    package func readFields<T>(of node: Int, as type: T.Type, _ keys: [StaticString], _ field: (Int, Int) throws -> Void) throws {
        var members = try members(of: node, T.self)
        var seen: UInt64 = 0
        while let m = members.next() {
            let k = keyIndex(m.key, keys)
            guard k >= 0 else { continue }
            let bit: UInt64 = 1 << UInt64(k)
            guard seen & bit == 0 else { continue }
            seen |= bit
            try field(k, m.value)
        }
    }

    @inlinable package func isNull(_ i: Int) -> Bool { kind(i) == .null }

    /// A value of a `TapeDecodable` type.
    @inlinable package func decode<T: TapeDecodable>(_ type: T.Type, at i: Int) throws -> T {
        try T(tape: self, at: i)
    }

    /// An array of a `TapeDecodable` type.
    @inlinable package func array<T: TapeDecodable>(_ type: T.Type, at i: Int) throws -> [T] {
        guard kind(i) == .array else { throw mismatch([T].self, i) }
        let count = Int(nodes[i].start)
        var out: [T] = []
        out.reserveCapacity(count)
        var j = i + 1
        for _ in 0..<count {
            out.append(try T(tape: self, at: j))
            j = Int(nodes[j].next)
        }
        return out
    }

    /// A string enum's case; data corrupted (as JSONDecoder says it) when the string is none of them.
    @inlinable package func rawValue<E: RawRepresentable>(_ type: E.Type, at i: Int) throws -> E where E.RawValue == String {
        let s = try string(i)
        guard let e = E(rawValue: s) else { throw corrupted(i, "Cannot initialize \(E.self) from invalid String value \(s)") }
        return e
    }

    /// `value`, or the error JSONDecoder gives for a required key that the object at `object` lacks.
    @inlinable package func required<T>(_ value: T?, _ key: String, in object: Int) throws -> T {
        guard let value else {
            throw DecodingError.keyNotFound(
                TapeKey(stringValue: key), .init(codingPath: codingPath(to: object), debugDescription: "no value for key \"\(key)\""))
        }
        return value
    }
}
