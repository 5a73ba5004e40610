import Foundation

/// How FOCUS cells are read: nulls, exact amounts, charge months.
enum FOCUSValues {
    /// An empty cell or the text NULL (as some exporters and database dumps write nulls).
    static func nonNull(_ cell: String) -> String? {
        let s = cell.trimmingCharacters(in: .whitespaces)
        return s.isEmpty || s == "NULL" || s == "null" ? nil : s
    }

    /// A decimal amount, exactly (no binary floating point): `-12.5`, `0.00000000001`, `1.5E-7`.
    static func amount(_ text: String) -> Decimal? {
        var digits = 0, dots = 0, exponent = false, afterExponent = 0
        var previous: UInt8 = 0
        for (i, c) in text.utf8.enumerated() {
            defer { previous = c }
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if exponent { afterExponent += 1 } else { digits += 1 }
            case UInt8(ascii: "."):
                guard !exponent else { return nil }
                dots += 1
            case UInt8(ascii: "-"), UInt8(ascii: "+"):
                // A sign only leads the number or its exponent.
                guard i == 0 || (exponent && previous | 0x20 == UInt8(ascii: "e")) else { return nil }
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard !exponent, digits > 0 else { return nil }
                exponent = true
            default:
                return nil
            }
        }
        guard digits > 0, dots <= 1, !exponent || afterExponent > 0 else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// `YYYY-MM` of a FOCUS date-time (`2024-09-01T00:00:00Z`, or `2024-09-01 00:00:00` as some exports write it).
    static func month(_ text: String) -> String? {
        let u = Array(text.utf8.prefix(10))
        guard u.count >= 7, u[4] == UInt8(ascii: "-"),
              u[0..<4].allSatisfy({ (0x30...0x39).contains($0) }), u[5..<7].allSatisfy({ (0x30...0x39).contains($0) })
        else { return nil }
        let m = Int(u[5] - 0x30) * 10 + Int(u[6] - 0x30)
        guard (1...12).contains(m) else { return nil }
        return String(decoding: u[0..<7], as: UTF8.self)
    }
}
