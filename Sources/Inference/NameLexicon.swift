/// Words of the estate's names, learned from the names that separate them (`checkout-web-prod-01`),
/// used to split names that run them together (`checkoutwebstaging02`, Azure storage accounts,
/// GCP resources): without it such names are one opaque word.
public struct NameLexicon: Codable, Sendable, Hashable {
    public private(set) var words: Set<String>

    public init(words: Set<String> = []) { self.words = words }

    /// A word must be seen this often (in separated names) to be trusted for splitting.
    static let minimumCount = 3
    static let longestWord = 24
    /// Only words at least this long are split.
    static let splitLength = 6

    public static func learn(names: some Sequence<String?>) -> NameLexicon {
        var counts: [String: Int] = [:]
        for name in names {
            guard let name else { continue }
            let tokens = NameTokenizer.tokens(name)
            // A lone token may itself be words run together: only names that separated their words teach.
            guard tokens.count >= 2 else { continue }
            for t in tokens where t.count >= 2 && t.count <= longestWord { counts[t, default: 0] += 1 }
        }
        return NameLexicon(words: Set(counts.filter { $0.value >= minimumCount }.keys))
    }

    /// Name tokens, with long unknown ones split into known words when most of their letters are covered.
    public func tokens(_ name: String) -> [String] {
        tokens(splitting: NameTokenizer.tokens(name))
    }

    /// `tokens(_:)` of a name whose `NameTokenizer.tokens` are `raw`.
    func tokens(splitting raw: [String]) -> [String] {
        guard !words.isEmpty else { return raw }
        var out: [String] = []
        out.reserveCapacity(raw.count + 4)
        for t in raw {
            if t.count >= Self.splitLength, !words.contains(t), let parts = split(t), parts.count >= 2 {
                out.append(contentsOf: parts)
            } else {
                out.append(t)
            }
        }
        return out
    }

    /// Letters left over at the end of a name's run-together words (`d` in `sessionsdbd`, `userprofileappd01`):
    /// a camelCase name's one-letter environment (`sessionsDbD`) once a cloud wrote the name in lower case. A
    /// token counts when all of it but its last letter is known words (`sessions`, `db`); each letter once.
    public func endingLetters(_ name: String) -> [String] {
        words.isEmpty ? [] : endingLetters(tokens: NameTokenizer.tokens(name))
    }

    /// `endingLetters(_:)` of a name whose `NameTokenizer.tokens` are `tokens`.
    func endingLetters(tokens: [String]) -> [String] {
        var out: [String] = []
        guard !words.isEmpty else { return out }
        for t in tokens where t.count > Self.splitLength {
            guard let last = t.unicodeScalars.last, NameTokenizer.isLower(last) else { continue }
            let stem = String(t.unicodeScalars.dropLast())
            let whole = words.contains(stem) || (split(stem).map { $0.count >= 2 && $0.reduce(0) { $0 + $1.count } == stem.count } ?? false)
            let letter = String(Character(last))
            if whole, !out.contains(letter) { out.append(letter) }
        }
        return out
    }

    /// Best segmentation of `token` into known words (longer words preferred, unknown letters penalised),
    /// or nil when known words cover less than two thirds of it.
    func split(_ token: String) -> [String]? {
        let chars = Array(token.unicodeScalars)
        let n = chars.count
        var best = [Int](repeating: Int.min / 2, count: n + 1)
        var back = [(from: Int, word: Bool)](repeating: (0, false), count: n + 1)
        best[0] = 0
        for i in 0..<n where best[i] > Int.min / 2 {
            // Skip one letter (unknown).
            if best[i] - 2 > best[i + 1] { best[i + 1] = best[i] - 2; back[i + 1] = (i, false) }
            var s = String.UnicodeScalarView()
            for j in (i + 1)...min(n, i + Self.longestWord) {
                s.append(chars[j - 1])
                guard j - i >= 2, j - i < n || i > 0 else { continue }
                if words.contains(String(s)) {
                    let score = best[i] + (j - i) * (j - i)
                    if score > best[j] { best[j] = score; back[j] = (i, true) }
                }
            }
        }
        var parts: [String] = []
        var covered = 0
        var j = n
        while j > 0 {
            let b = back[j]
            if b.word {
                var s = String.UnicodeScalarView()
                s.append(contentsOf: chars[b.from..<j])
                parts.append(String(s))
                covered += j - b.from
            }
            j = b.from
        }
        guard covered * 3 >= n * 2 else { return nil }
        return parts.reversed()
    }
}
