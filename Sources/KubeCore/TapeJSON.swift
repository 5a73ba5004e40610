import Foundation

/// A JSON document parsed into a flat tape: one node per value, containers followed by their
/// children, each node knowing where its subtree ends. Decoding walks the tape without building
/// dictionaries or strings it does not need (Foundation's JSONDecoder does both, and is the
/// bottleneck of a watch or list of 100,000 objects).
package struct JSONTape {
    package enum Kind: UInt8 { case object, array, string, escapedString, number, `true`, `false`, null }

    package struct Node {
        package var kind: Kind
        /// Strings and numbers: byte offset of the text (inside the quotes). Containers: child count.
        package var start: Int32
        package var length: Int32
        /// Index of the node after this value's subtree.
        package var next: Int32
    }

    /// The document, borrowed: a tape is read only while the buffer it was parsed from lives (the decoder
    /// parses and decodes inside one `withUnsafe...` scope, so a watch line is never copied).
    package let bytes: UnsafeBufferPointer<UInt8>
    package let nodes: [Node]

    package struct ParseError: Error, CustomStringConvertible {
        package var offset: Int
        package var message: String
        package var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    package init(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        self.bytes = bytes
        var parser = Parser(bytes: bytes)
        parser.nodes.reserveCapacity(bytes.count / 8)
        var i = 0
        try parser.parseValue(&i, depth: 0)
        parser.skipWhitespace(&i)
        guard i == bytes.count else { throw ParseError(offset: i, message: "unexpected data after the document") }
        nodes = parser.nodes
    }

    /// Builds the nodes, reading the bytes through a pointer (no bounds check or retain per byte).
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var nodes: [Node] = []

        func skipWhitespace(_ i: inout Int) {
            while i < bytes.count {
                let b = bytes[i]
                guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
                i += 1
            }
        }

        mutating func parseValue(_ i: inout Int, depth: Int) throws {
            guard depth < 512 else { throw ParseError(offset: i, message: "nested too deeply") }
            skipWhitespace(&i)
            guard i < bytes.count else { throw ParseError(offset: i, message: "unexpected end of input") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                let me = nodes.count
                nodes.append(Node(kind: .object, start: 0, length: 0, next: 0))
                i += 1
                var count: Int32 = 0
                skipWhitespace(&i)
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                    i += 1
                } else {
                    while true {
                        skipWhitespace(&i)
                        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw ParseError(offset: i, message: "expected an object key") }
                        try parseString(&i)
                        skipWhitespace(&i)
                        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw ParseError(offset: i, message: "expected ':'") }
                        i += 1
                        try parseValue(&i, depth: depth + 1)
                        count += 1
                        skipWhitespace(&i)
                        guard i < bytes.count else { throw ParseError(offset: i, message: "unterminated object") }
                        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                        if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                        throw ParseError(offset: i, message: "expected ',' or '}'")
                    }
                }
                nodes[me].start = count
                nodes[me].next = Int32(nodes.count)
            case UInt8(ascii: "["):
                let me = nodes.count
                nodes.append(Node(kind: .array, start: 0, length: 0, next: 0))
                i += 1
                var count: Int32 = 0
                skipWhitespace(&i)
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    i += 1
                } else {
                    while true {
                        try parseValue(&i, depth: depth + 1)
                        count += 1
                        skipWhitespace(&i)
                        guard i < bytes.count else { throw ParseError(offset: i, message: "unterminated array") }
                        if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                        if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                        throw ParseError(offset: i, message: "expected ',' or ']'")
                    }
                }
                nodes[me].start = count
                nodes[me].next = Int32(nodes.count)
            case UInt8(ascii: "\""):
                try parseString(&i)
            case UInt8(ascii: "t"): try literal(&i, "true", .true)
            case UInt8(ascii: "f"): try literal(&i, "false", .false)
            case UInt8(ascii: "n"): try literal(&i, "null", .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                i += 1
                while i < bytes.count {
                    let b = bytes[i]
                    guard (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
                        || b == UInt8(ascii: "+") || b == UInt8(ascii: "-") else { break }
                    i += 1
                }
                nodes.append(Node(kind: .number, start: Int32(start), length: Int32(i - start), next: Int32(nodes.count + 1)))
            default:
                throw ParseError(offset: i, message: "unexpected character '\(Character(Unicode.Scalar(bytes[i])))'")
            }
        }

        private mutating func literal(_ i: inout Int, _ word: StaticString, _ kind: Kind) throws {
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { throw ParseError(offset: i, message: "unexpected end of input") }
            let ok = word.withUTF8Buffer { w in (0..<n).allSatisfy { bytes[i + $0] == w[$0] } }
            guard ok else { throw ParseError(offset: i, message: "invalid literal") }
            nodes.append(Node(kind: kind, start: Int32(i), length: Int32(n), next: Int32(nodes.count + 1)))
            i += n
        }

        /// At an opening quote: appends a string node (contents without quotes).
        private mutating func parseString(_ i: inout Int) throws {
            i += 1
            let start = i
            var escaped = false
            // Eight bytes at a time up to the first quote or backslash (most strings have neither inside).
            if let base = bytes.baseAddress {
                while i + 8 <= bytes.count {
                    let word = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                    if Self.hasByte(word, 0x22) || Self.hasByte(word, 0x5C) { break }
                    i += 8
                }
            }
            while true {
                guard i < bytes.count else { throw ParseError(offset: start, message: "unterminated string") }
                let b = bytes[i]
                if b == UInt8(ascii: "\"") { break }
                if b == UInt8(ascii: "\\") { escaped = true; i += 2; continue }
                i += 1
            }
            nodes.append(Node(kind: escaped ? .escapedString : .string, start: Int32(start), length: Int32(i - start), next: Int32(nodes.count + 1)))
            i += 1
        }

        /// Whether any byte of `word` is `byte` (the classic zero-byte test on `word ^ byte * 0x01...01`).
        @inline(__always) static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
            let x = word ^ (UInt64(byte) &* 0x0101_0101_0101_0101)
            return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
        }
    }

    // MARK: Reading values

    /// The string at `index` (unescaped).
    package func string(_ index: Int) throws -> String {
        let n = nodes[index]
        let range = Int(n.start)..<Int(n.start + n.length)
        if n.kind == .string { return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        return try unescape(range)
    }

    /// Whether the string at `index` equals `key` (compared as bytes when unescaped).
    package func stringEquals(_ index: Int, _ key: String) -> Bool {
        let n = nodes[index]
        if n.kind == .escapedString { return (try? string(index)) == key }
        var key = key
        return key.withUTF8 { k in
            guard k.count == Int(n.length) else { return false }
            let s = Int(n.start)
            for j in 0..<k.count where bytes[s + j] != k[j] { return false }
            return true
        }
    }

    package func numberText(_ index: Int) -> Substring {
        let n = nodes[index]
        return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(n.start)..<Int(n.start + n.length)]), as: UTF8.self))
    }

    /// An integer parsed straight from the digits (nil if not an integer or out of range).
    package func int64(_ index: Int) -> Int64? {
        let n = nodes[index]
        var i = Int(n.start)
        let end = i + Int(n.length)
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        guard i < end else { return nil }
        var value: Int64 = 0
        while i < end {
            let d = Int64(bytes[i]) - 48
            guard d >= 0 && d <= 9 else {
                // 1.0 or 1e3: accept when the value is integral.
                guard let dbl = Double(numberText(index)), dbl == dbl.rounded(), abs(dbl) < 9.2e18 else { return nil }
                return Int64(dbl)
            }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            guard !o1 && !o2 else { return nil }
            value = a
            i += 1
        }
        return value
    }

    private func unescape(_ range: Range<Int>) throws -> String {
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        func hex4(_ at: Int) throws -> UInt32 {
            guard at + 4 <= range.upperBound else { throw ParseError(offset: at, message: "short \\u escape") }
            var v: UInt32 = 0
            for j in at..<(at + 4) {
                let b = bytes[j]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw ParseError(offset: j, message: "bad hex digit in \\u escape")
                }
                v = v << 4 | d
            }
            return v
        }
        func appendScalar(_ v: UInt32) {
            let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        while i < range.upperBound {
            let b = bytes[i]
            guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
            guard i + 1 < range.upperBound else { throw ParseError(offset: i, message: "dangling escape") }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var v = try hex4(i)
                i += 4
                if v >= 0xD800 && v < 0xDC00, i + 6 <= range.upperBound, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if low >= 0xDC00 && low < 0xE000 {
                        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                appendScalar(v)
            default: throw ParseError(offset: i - 1, message: "invalid escape")
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
