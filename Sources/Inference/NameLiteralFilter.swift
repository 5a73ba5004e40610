#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The text each rule's name regex requires (`SharedRegex.requiredLiteral`), for every rule of a set in
/// one flat byte buffer. Most rules a resource is a candidate for fail on this alone (`^team7-` on a name
/// starting `team3-`); checking it on the name's bytes first skips the rule object entirely (no reference
/// counting, no regex), which is most of the rule loop's cost on a large estate.
struct NameLiteralFilter: Sendable {
    struct Entry: Sendable {
        /// Where the rule's literal starts in `bytes`, and its length (0: the rule requires no literal).
        var start: Int
        var count: Int
        /// The regex starts with `^` and the literal.
        var isPrefix: Bool
    }

    private var bytes: [UInt8] = []
    /// One per rule, by position.
    private var entries: [Entry] = []

    init(_ rules: [CompiledRule]) {
        for rule in rules {
            if let regex = rule.nameRegex, let literal = regex.requiredLiteral {
                entries.append(Entry(start: bytes.count, count: literal.count, isPrefix: regex.literalIsPrefix))
                bytes += literal
            } else {
                entries.append(Entry(start: 0, count: 0, isPrefix: false))
            }
        }
    }

    /// Runs `body` with a check of rules against `name` (nil: no name, which no literal is in).
    func withName<R>(_ name: String?, _ body: (Check) throws -> R) rethrows -> R {
        var text = name ?? ""
        return try text.withUTF8 { name in
            try bytes.withUnsafeBufferPointer { bytes in
                try entries.withUnsafeBufferPointer { entries in try body(Check(name: name, bytes: bytes, entries: entries)) }
            }
        }
    }

    struct Check {
        let name: UnsafeBufferPointer<UInt8>
        let bytes: UnsafeBufferPointer<UInt8>
        let entries: UnsafeBufferPointer<Entry>

        /// False when the rule at `position` cannot match: its literal is not in the name. True says nothing more.
        @inline(__always) func admits(_ position: Int) -> Bool {
            let e = entries[position]
            if e.count == 0 { return true }
            let literal = UnsafeBufferPointer(rebasing: bytes[e.start..<(e.start + e.count)])
            if e.isPrefix {
                return name.count >= e.count && memcmp(name.baseAddress!, literal.baseAddress!, e.count) == 0
            }
            return SharedRegex.contains(name, literal)
        }
    }
}
