import Foundation

/// The tape shared by the containers of one decode. Its nodes and bytes are read through pointers, valid
/// for the decode only (no retain, release or bounds check per read: decoding a watch event reads them a
/// few thousand times). Containers and decoders carry only a node index, no coding path:
/// `codingPath(to:)` finds the path from the tape when an error or a type asks for it.
package final class TapeBox {
    package let tape: JSONTape
    package let nodes: UnsafeBufferPointer<JSONTape.Node>
    package let bytes: UnsafeBufferPointer<UInt8>

    package init(_ tape: JSONTape, nodes: UnsafeBufferPointer<JSONTape.Node>) {
        self.tape = tape
        self.nodes = nodes
        self.bytes = tape.bytes
    }

    @inlinable package func kind(_ i: Int) -> JSONTape.Kind { nodes[i].kind }

    /// The bytes of a string node (inside the quotes, still escaped) or a number node.
    @inline(__always) package func text(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let n = nodes[i]
        return UnsafeBufferPointer(start: bytes.baseAddress! + Int(n.start), count: Int(n.length))
    }

    /// Whether the key (string node) `i` is `key`.
    @inline(__always) package func keyEquals(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = nodes[i]
        guard n.kind == .string else { return n.kind == .escapedString && tape.stringEquals(i, String(decoding: key, as: UTF8.self)) }
        guard Int(n.length) == key.count else { return false }
        // Keys are short: compared in place (a memcmp call costs more than the loop).
        let start = Int(n.start)
        for j in 0..<key.count where bytes[start + j] != key[j] { return false }
        return true
    }

    /// The path of node `target` from the root, found by walking down the tape.
    package func codingPath(to target: Int) -> [CodingKey] {
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
                        path.append(TapeKey(index: e))
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

    package func describe(_ i: Int) -> String {
        switch kind(i) {
        case .object: return "an object"
        case .array: return "an array"
        case .string, .escapedString: return "a string"
        case .number: return "a number"
        case .true, .false: return "a boolean"
        case .null: return "null"
        }
    }

    package func mismatch<T>(_ type: T.Type, _ i: Int) -> DecodingError {
        if kind(i) == .null {
            return .valueNotFound(type, .init(codingPath: codingPath(to: i), debugDescription: "expected \(type) but found null"))
        }
        return .typeMismatch(type, .init(codingPath: codingPath(to: i), debugDescription: "expected \(type) but found \(describe(i))"))
    }

    package func corrupted(_ i: Int, _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: codingPath(to: i), debugDescription: message))
    }

    package func bool(_ i: Int) throws -> Bool {
        switch kind(i) {
        case .true: return true
        case .false: return false
        default: throw mismatch(Bool.self, i)
        }
    }

    package func string(_ i: Int) throws -> String {
        switch kind(i) {
        case .string: return String(decoding: text(i), as: UTF8.self)
        case .escapedString:
            do { return try tape.string(i) } catch { throw corrupted(i, "\(error)") }
        default: throw mismatch(String.self, i)
        }
    }

    package func double(_ i: Int) throws -> Double {
        guard kind(i) == .number else { throw mismatch(Double.self, i) }
        if let v = tape.int64(i), abs(v) < (1 << 53) { return Double(v) }
        guard let d = Double(tape.numberText(i)) else { throw corrupted(i, "not a number: \(tape.numberText(i))") }
        return d
    }

    package func integer<T: FixedWidthInteger>(_ type: T.Type, _ i: Int) throws -> T {
        guard kind(i) == .number else { throw mismatch(T.self, i) }
        if let v = tape.int64(i), let t = T(exactly: v) { return t }
        if let u = UInt64(tape.numberText(i)), let t = T(exactly: u) { return t }
        throw corrupted(i, "\(tape.numberText(i)) does not fit in \(T.self)")
    }

    package func date(_ i: Int) throws -> Date {
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
    package func stringMap(_ i: Int) throws -> [String: String] {
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

    package func stringArray(_ i: Int) throws -> [String] {
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
}

/// A key of a coding path rebuilt from the tape: an object's key, or an array's index (named as Foundation's
/// JSONDecoder names it, so both decoders report the same path).
package struct TapeKey: CodingKey {
    package var stringValue: String
    package var intValue: Int?

    package init(stringValue: String) { self.stringValue = stringValue }
    package init(index: Int) {
        stringValue = "Index \(index)"
        intValue = index
    }
    package init?(intValue: Int) { self.init(index: intValue) }
}
