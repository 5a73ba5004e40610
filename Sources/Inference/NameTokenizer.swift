/// Splits resource names into the words people put in them: on separators, camelCase and
/// letter/digit boundaries, lower-cased. Pure numbers, single letters and id-like chunks
/// (`0a1b2c3d4e`) carry no meaning and are dropped.
public enum NameTokenizer {
    public static func tokens(_ name: String) -> [String] {
        asciiTokens(name) ?? scalarTokens(name)
    }

    /// Letters standing alone in a name, lower-cased, each once: a whole chunk between separators (`d` in
    /// `STREAMING-D-WEB01`, `p` in `p_ledger_api`) or a capital between a lower-case letter and a digit or
    /// separator in camelCase (`ledgerApiD03`). Too short to be words, but naming conventions write the
    /// environment (and other codes) as one letter (Azure's Cloud Adoption Framework: `p`, `d`, `t`). A letter
    /// that starts a chunk with digits (`s3`, `v2`) is part of a code, not a letter on its own.
    public static func letters(_ name: String) -> [String] {
        var out: [String] = []
        var chunk: [Unicode.Scalar] = []
        func flushChunk() {
            defer { chunk.removeAll(keepingCapacity: true) }
            guard !chunk.isEmpty, !isIdLike(chunk) else { return }
            func add(_ u: Unicode.Scalar) {
                let letter = String(Character(lower(u)))
                if !out.contains(letter) { out.append(letter) }
            }
            if chunk.count == 1 {
                if !isDigit(chunk[0]) { add(chunk[0]) }
                return
            }
            for i in 1..<chunk.count where isUpper(chunk[i]) && isLower(chunk[i - 1]) {
                if i + 1 == chunk.count || isDigit(chunk[i + 1]) { add(chunk[i]) }
            }
        }
        for u in name.unicodeScalars {
            if isAlnum(u) { chunk.append(u) } else { flushChunk() }
        }
        flushChunk()
        return out
    }

    /// `tokens` for any name, scalar by scalar.
    static func scalarTokens(_ name: String) -> [String] {
        var out: [String] = []
        var current: [Unicode.Scalar] = []
        var hadLetter = false

        func flush() {
            defer { current.removeAll(keepingCapacity: true); hadLetter = false }
            guard current.count >= 2, hadLetter else { return }
            var s = String.UnicodeScalarView()
            s.append(contentsOf: current)
            out.append(String(s))
        }

        // Whole chunk between separators, so an id-like chunk can be dropped as a unit.
        var chunk: [Unicode.Scalar] = []
        func flushChunk() {
            defer { chunk.removeAll(keepingCapacity: true) }
            if chunk.isEmpty { return }
            if isIdLike(chunk) { return }
            var prev: Unicode.Scalar? = nil
            for (i, u) in chunk.enumerated() {
                if let p = prev {
                    let boundary =
                        (isDigit(p) != isDigit(u))
                        || (isLower(p) && isUpper(u))
                        || (isUpper(p) && isUpper(u) && i + 1 < chunk.count && isLower(chunk[i + 1]))
                    if boundary { flush() }
                }
                current.append(lower(u))
                if !isDigit(u) { hadLetter = true }
                prev = u
            }
            flush()
        }

        for u in name.unicodeScalars {
            if isAlnum(u) { chunk.append(u) } else { flushChunk() }
        }
        flushChunk()
        return out
    }

    /// `tokens` of an ASCII name, read as bytes (names are nearly always ASCII; inference splits every name
    /// of an estate several times). Nil when the name has other characters: those take the path above.
    static func asciiTokens(_ name: String) -> [String]? {
        asciiReading(name, letters: false)?.tokens
    }

    /// `tokens`, `letters` and `hasIdLikeChunk` of a name in one pass: a resource's features need all three.
    public static func read(_ name: String) -> NameReading {
        asciiReading(name, letters: true)
            ?? NameReading(tokens: scalarTokens(name), letters: letters(name), hasIdLikeChunk: hasIdLikeChunk(name))
    }

    /// `read` of an ASCII name as bytes (its letters only when `letters`); nil when the name has other characters.
    /// Each word is written once, lower-cased, straight from the name's bytes.
    static func asciiReading(_ name: String, letters wantLetters: Bool) -> NameReading? {
        var name = name
        return name.withUTF8 { bytes -> NameReading? in
            var out: [String] = []
            var letters: [String] = []
            var idLike = false
            // The word being read is `chunk[wordStart..<k]`.
            func word(_ chunk: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, hadLetter: Bool) {
                guard end - start >= 2, hadLetter else { return }
                out.append(String(unsafeUninitializedCapacity: end - start) { buffer in
                    for k in start..<end { buffer[k - start] = isUpper(chunk[k]) ? chunk[k] + 32 : chunk[k] }
                    return end - start
                })
            }
            func letter(_ b: UInt8) {
                let lower = isUpper(b) ? b + 32 : b
                if !letters.contains(where: { $0.utf8.first == lower }) {
                    letters.append(String(unsafeUninitializedCapacity: 1) { $0[0] = lower; return 1 })
                }
            }
            var chunkStart = 0
            for i in 0...bytes.count {
                if i < bytes.count {
                    let b = bytes[i]
                    if b >= 0x80 { return nil }
                    if isDigit(b) || isUpper(b) || isLower(b) { continue }
                }
                // A whole chunk between separators: dropped when id-like, else split at word boundaries.
                let chunk = UnsafeBufferPointer(rebasing: bytes[chunkStart..<i])
                chunkStart = i + 1
                if chunk.isEmpty { continue }
                if isIdLike(chunk) { idLike = true; continue }
                if wantLetters {
                    // See `letters(_:)`.
                    if chunk.count == 1 {
                        if !isDigit(chunk[0]) { letter(chunk[0]) }
                    } else {
                        for k in 1..<chunk.count where isUpper(chunk[k]) && isLower(chunk[k - 1]) {
                            if k + 1 == chunk.count || isDigit(chunk[k + 1]) { letter(chunk[k]) }
                        }
                    }
                }
                var wordStart = 0
                var hadLetter = false
                for k in chunk.indices {
                    let u = chunk[k]
                    if k > 0 {
                        let p = chunk[k - 1]
                        let boundary =
                            (isDigit(p) != isDigit(u))
                            || (isLower(p) && isUpper(u))
                            || (isUpper(p) && isUpper(u) && k + 1 < chunk.count && isLower(chunk[k + 1]))
                        if boundary {
                            word(chunk, from: wordStart, to: k, hadLetter: hadLetter)
                            wordStart = k
                            hadLetter = false
                        }
                    }
                    if !isDigit(u) { hadLetter = true }
                }
                word(chunk, from: wordStart, to: chunk.count, hadLetter: hadLetter)
            }
            return NameReading(tokens: out, letters: letters, hasIdLikeChunk: idLike)
        }
    }

    static func isIdLike(_ chunk: UnsafeBufferPointer<UInt8>) -> Bool {
        guard chunk.count >= 6 else { return false }
        var transitions = 0
        for i in 1..<chunk.count where isDigit(chunk[i]) != isDigit(chunk[i - 1]) { transitions += 1 }
        return transitions >= 3
    }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    @inline(__always) static func isUpper(_ b: UInt8) -> Bool { b >= 65 && b <= 90 }
    @inline(__always) static func isLower(_ b: UInt8) -> Bool { b >= 97 && b <= 122 }

    /// Whether a chunk of the name is a generated id (the chunks `tokens` drops).
    public static func hasIdLikeChunk(_ name: String) -> Bool {
        var chunk: [Unicode.Scalar] = []
        for u in name.unicodeScalars {
            if isAlnum(u) {
                chunk.append(u)
            } else {
                if isIdLike(chunk) { return true }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        return isIdLike(chunk)
    }

    /// An id written as a UUID (`8-4-4-4-12` hex digits), such as an Azure subscription id.
    public static func isUUID(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 36 else { return false }
        for (i, c) in u.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard c == UInt8(ascii: "-") else { return false }
            } else {
                let hex = (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
                guard hex else { return false }
            }
        }
        return true
    }

    /// Generated ids (`7f3a9c2d`, `0abc123def`): letters and digits alternate several times.
    static func isIdLike(_ chunk: [Unicode.Scalar]) -> Bool {
        guard chunk.count >= 6 else { return false }
        var transitions = 0
        for i in 1..<chunk.count where isDigit(chunk[i]) != isDigit(chunk[i - 1]) { transitions += 1 }
        return transitions >= 3
    }

    @inline(__always) static func isDigit(_ u: Unicode.Scalar) -> Bool { u.value >= 48 && u.value <= 57 }
    @inline(__always) static func isUpper(_ u: Unicode.Scalar) -> Bool { u.value >= 65 && u.value <= 90 }
    @inline(__always) static func isLower(_ u: Unicode.Scalar) -> Bool { u.value >= 97 && u.value <= 122 }
    @inline(__always) static func isAlnum(_ u: Unicode.Scalar) -> Bool {
        isDigit(u) || isUpper(u) || isLower(u) || (!u.isASCII && u.properties.isAlphabetic)
    }
    @inline(__always) static func lower(_ u: Unicode.Scalar) -> Unicode.Scalar {
        isUpper(u) ? Unicode.Scalar(u.value + 32)! : u
    }
}

/// A name read once (`NameTokenizer.read`): what `tokens`, `letters` and `hasIdLikeChunk` say of it.
public struct NameReading: Sendable, Hashable {
    public var tokens: [String]
    public var letters: [String]
    public var hasIdLikeChunk: Bool
}
