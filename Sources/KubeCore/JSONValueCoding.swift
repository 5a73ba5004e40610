import Foundation

/// Fast JSON bytes <-> `JSONValue`, without JSONDecoder's try-each-type decoding.
/// The test server and watch decoders handle 100,000-object lists, where Codable is several times slower.
/// Errors (`KubeCoreError.invalidJSON`) read like the Go decoder's (what the API server answers for a malformed body).

extension JSONValue {
    /// Parses one JSON document (surrounding whitespace allowed). Integers without fraction/exponent that fit
    /// in Int64 become `.int`, other numbers `.double`.
    public static func parseFast(_ data: Data) throws(KubeCoreError) -> JSONValue {
        let result: Result<JSONValue, KubeCoreError> = data.withUnsafeBytes { raw in
            var p = FastJSONParser(raw.bindMemory(to: UInt8.self))
            do throws(KubeCoreError) {
                let v = try p.parseDocument()
                return .success(v)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    public static func parseFast(_ string: String) throws(KubeCoreError) -> JSONValue {
        try parseFast(Data(string.utf8))
    }

    /// Compact JSON with keys sorted (byte order), `/` not escaped.
    public func compactData() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return Data(out)
    }

    /// Compact JSON as a string (see `compactData`).
    public func compactString() -> String {
        var out: [UInt8] = []
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the compact JSON encoding to `out`.
    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [110, 117, 108, 108])
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite, d == d.rounded(), abs(d) < 1e15 {
                out.append(contentsOf: String(Int64(d)).utf8)
            } else if d.isFinite {
                out.append(contentsOf: "\(d)".utf8)
            } else {
                out.append(contentsOf: [110, 117, 108, 108])
            }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(91)
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(44) }
                v.write(into: &out)
            }
            out.append(93)
        case .object(let o):
            out.append(123)
            var first = true
            for k in o.keys.sorted() {
                if !first { out.append(44) }
                first = false
                JSONValue.writeString(k, into: &out)
                out.append(58)
                o[k]!.write(into: &out)
            }
            out.append(125)
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(34)
        for b in s.utf8 {
            switch b {
            case 34: out.append(contentsOf: [92, 34])
            case 92: out.append(contentsOf: [92, 92])
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [92, 117, 48, 48, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(34)
    }
}

struct FastJSONParser {
    let b: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0

    init(_ b: UnsafeBufferPointer<UInt8>) { self.b = b }

    mutating func parseDocument() throws(KubeCoreError) -> JSONValue {
        skipWS()
        if i >= b.count { throw KubeCoreError.invalidJSON(offset: i, message: "unexpected end of JSON input") }
        let v = try parseValue(context: "beginning of value")
        skipWS()
        if i < b.count {
            throw KubeCoreError.invalidJSON(offset: i, message: "invalid character \(charDesc(b[i])) after top-level value")
        }
        return v
    }

    func charDesc(_ c: UInt8) -> String {
        if c == 39 { return "'\\''" }
        if c == 34 { return "'\"'" }
        if c < 32 { return "'\\x\(String(c, radix: 16))'" }
        if c >= 128 { return "'\\u00\(String(c, radix: 16))'" }
        return "'\(Character(UnicodeScalar(c)))'"
    }

    mutating func skipWS() {
        while i < b.count {
            let c = b[i]
            if c == 32 || c == 10 || c == 13 || c == 9 { i += 1 } else { break }
        }
    }

    mutating func fail(_ what: String) -> KubeCoreError {
        if i >= b.count { return KubeCoreError.invalidJSON(offset: i, message: "unexpected end of JSON input") }
        return KubeCoreError.invalidJSON(offset: i, message: "invalid character \(charDesc(b[i])) looking for \(what)")
    }

    mutating func parseValue(context: String) throws(KubeCoreError) -> JSONValue {
        guard i < b.count else { throw fail(context) }
        switch b[i] {
        case 123: return try parseObject()
        case 91: return try parseArray()
        case 34: return .string(try parseString())
        case 116: try literal("true"); return .bool(true)
        case 102: try literal("false"); return .bool(false)
        case 110: try literal("null"); return .null
        case 45, 48...57: return try parseNumber()
        default: throw fail(context)
        }
    }

    mutating func literal(_ s: StaticString) throws(KubeCoreError) {
        let n = s.utf8CodeUnitCount
        let p = s.utf8Start
        for k in 0..<n {
            guard i + k < b.count, b[i + k] == p[k] else {
                i += k
                throw fail("value")
            }
        }
        i += n
    }

    mutating func parseObject() throws(KubeCoreError) -> JSONValue {
        depth += 1
        if depth > 10_000 { throw KubeCoreError.invalidJSON(offset: i, message: "exceeded max depth") }
        defer { depth -= 1 }
        i += 1
        var o: [String: JSONValue] = [:]
        skipWS()
        if i < b.count, b[i] == 125 { i += 1; return .object(o) }
        while true {
            skipWS()
            guard i < b.count, b[i] == 34 else { throw fail("beginning of object key string") }
            let k = try parseString()
            skipWS()
            guard i < b.count, b[i] == 58 else { throw fail("':' after object key") }
            i += 1
            skipWS()
            o[k] = try parseValue(context: "beginning of value")
            skipWS()
            guard i < b.count else { throw fail("',' or '}' after object key:value pair") }
            if b[i] == 44 { i += 1; continue }
            if b[i] == 125 { i += 1; return .object(o) }
            throw fail("',' or '}' after object key:value pair")
        }
    }

    mutating func parseArray() throws(KubeCoreError) -> JSONValue {
        depth += 1
        if depth > 10_000 { throw KubeCoreError.invalidJSON(offset: i, message: "exceeded max depth") }
        defer { depth -= 1 }
        i += 1
        var a: [JSONValue] = []
        skipWS()
        if i < b.count, b[i] == 93 { i += 1; return .array(a) }
        while true {
            skipWS()
            a.append(try parseValue(context: "beginning of value"))
            skipWS()
            guard i < b.count else { throw fail("',' or ']' after array element") }
            if b[i] == 44 { i += 1; continue }
            if b[i] == 93 { i += 1; return .array(a) }
            throw fail("',' or ']' after array element")
        }
    }

    mutating func hex4() throws(KubeCoreError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard i < b.count else { throw fail("string escape code") }
            let c = b[i]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 97...102: d = UInt32(c - 87)
            case 65...70: d = UInt32(c - 55)
            default: throw fail("string escape code")
            }
            v = v * 16 + d
            i += 1
        }
        return v
    }

    mutating func parseString() throws(KubeCoreError) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < b.count {
            let c = b[i]
            if c == 34 {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == 92 || c < 32 { break }
            i += 1
        }
        var bytes = Array(b[start..<i])
        while i < b.count {
            let c = b[i]
            if c == 34 { i += 1; return String(decoding: bytes, as: UTF8.self) }
            if c < 32 { throw fail("in string literal") }
            if c == 92 {
                i += 1
                guard i < b.count else { break }
                let e = b[i]
                i += 1
                switch e {
                case 34: bytes.append(34)
                case 92: bytes.append(92)
                case 47: bytes.append(47)
                case 98: bytes.append(8)
                case 102: bytes.append(12)
                case 110: bytes.append(10)
                case 114: bytes.append(13)
                case 116: bytes.append(9)
                case 117:
                    var cp = try hex4()
                    if (0xD800..<0xDC00).contains(cp), i + 1 < b.count, b[i] == 92, b[i + 1] == 117 {
                        i += 2
                        let lo = try hex4()
                        if (0xDC00..<0xE000).contains(lo) {
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                        } else {
                            cp = 0xFFFD
                        }
                    }
                    let scalar = UnicodeScalar(cp) ?? "\u{FFFD}"
                    bytes.append(contentsOf: String(Character(scalar)).utf8)
                default:
                    i -= 1
                    throw fail("in string escape code")
                }
                continue
            }
            bytes.append(c)
            i += 1
        }
        throw KubeCoreError.invalidJSON(offset: i, message: "unexpected end of JSON input")
    }

    mutating func parseNumber() throws(KubeCoreError) -> JSONValue {
        let start = i
        var isInt = true
        if b[i] == 45 { i += 1 }
        guard i < b.count, (48...57).contains(b[i]) else { throw fail("in numeric literal") }
        while i < b.count, (48...57).contains(b[i]) { i += 1 }
        if i < b.count, b[i] == 46 {
            isInt = false
            i += 1
            guard i < b.count, (48...57).contains(b[i]) else { throw fail("after decimal point in numeric literal") }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        if i < b.count, b[i] == 101 || b[i] == 69 {
            isInt = false
            i += 1
            if i < b.count, b[i] == 43 || b[i] == 45 { i += 1 }
            guard i < b.count, (48...57).contains(b[i]) else { throw fail("in exponent of numeric literal") }
            while i < b.count, (48...57).contains(b[i]) { i += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if isInt, let v = Int64(text) { return .int(v) }
        return .double(Double(text) ?? 0)
    }
}
