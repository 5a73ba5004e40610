import Foundation
import Testing
@testable import Inference

/// `ASCIIRegex` must answer as NSRegularExpression (ICU) does, or not at all: compared on many patterns of
/// the shapes rules use and many names built from their pieces.
@Suite struct ASCIIRegexTests {
    /// Patterns of the subset (the benchmark's, and the shapes people write).
    static let patterns = [
        "^team12-(?<app>[a-z0-9]+)-(?<env>[a-z]+)-",
        "^(?<env>prod|stg|dev|qa)_app3x",
        "^(?<team>[a-z]+)-",
        "(?<env>prod|stg|dev)$",
        "-(?<env>prod|staging)(-|$)",
        "^(?<team>[a-z]+)-(?<svc>[a-z0-9-]+?)-(?<n>\\d{2,3})$",
        "^(?:web|api)-(?<n>\\d+)",
        "(?<a>a+)(?<b>a*)b",
        "^(?<x>[a-z]*)(?<y>[a-z]{2})",
        "(?<word>\\w+)\\.(?<ext>[a-z]{2,4})$",
        "^(?<pre>[^-_]+)[-_](?<rest>.*)$",
        "^(?<team>[a-z]+)(?:-(?<env>prod|dev))?-(?<n>\\d+)$",
        "(a|ab)(c|bcd)(?<d>d*)",
        "^[A-Z][a-z]+[A-Z]",
        "x?y{0,2}z+",
        "(?<e>)a",
        "\\s(?<w>\\S+)",
        "^(?<all>.*?)(?<digits>\\d*)$",
        "[-a]b[a-]",
        "^\\D+\\W\\d",
        "a.c",
        "(?<first>[a-z]+)(?<second>[a-z]+)",
    ]

    /// Names from the patterns' pieces, so that most patterns match some and miss others.
    static func names() -> [String] {
        var g: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int { g ^= g << 13; g ^= g >> 7; g ^= g << 17; return Int(g % UInt64(n)) }
        let pieces = ["team12", "team1", "app3x", "app3x0", "prod", "stg", "dev", "qa", "staging", "web", "api", "a", "aa",
                      "ab", "b", "c", "bcd", "d", "x", "y", "z", "01", "123", "7", "Foo", "Bar", "file", ".txt", ".json",
                      "-", "_", " ", ".", "--", "", "A", "Zz"]
        var out = ["", "a", "ab", "abcd", "aaab", "team12-app0x1-prod-api-7", "prod_app3x1_api_4", "team12--prod-",
                   "web-12", "api-", "FooBar", "Foo bar.txt", "xyz", "zz", "a-b-", "-ab-", "x 1", "café-prod", "prod\n"]
        for _ in 0..<3000 {
            var name = ""
            for _ in 0..<(1 + next(6)) { name += pieces[next(pieces.count)] }
            out.append(name)
        }
        return out
    }

    @Test func answersAsNSRegularExpressionDoes() throws {
        let names = Self.names()
        var decided = 0, matched = 0
        for pattern in Self.patterns {
            let ascii = try #require(ASCIIRegex(pattern), "\(pattern) is in the subset")
            let regex = try NSRegularExpression(pattern: pattern)
            let groups = SharedRegex.groupNames(pattern)
            for name in names {
                let expected = regex.firstMatch(in: name, range: NSRange(location: 0, length: name.utf16.count))
                switch ascii.firstMatch(name) {
                case .unknown:
                    // Only text outside printable ASCII is left to ICU here (no pattern above needs many steps).
                    #expect(!name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "\(pattern) on \(name)")
                case .noMatch:
                    decided += 1
                    #expect(expected == nil, "\(pattern) on \(name): ICU matches")
                case .match(let captures):
                    decided += 1
                    matched += 1
                    guard let expected else {
                        Issue.record("\(pattern) on \(name): ICU does not match")
                        continue
                    }
                    let mine = NameGroups(name: name, result: .bytes(captures: captures, groups: ascii.groupNumbers))
                    let icu = NameGroups(name: name, result: .foundation(expected))
                    for g in groups { #expect(mine.value(g) == icu.value(g), "\(pattern) on \(name): group \(g)") }
                    // Unnamed groups too, by number.
                    for k in 1..<expected.numberOfRanges {
                        let r = expected.range(at: k)
                        let theirs = r.location == NSNotFound ? -1 : r.location
                        #expect(captures[2 * k - 2] == theirs, "\(pattern) on \(name): group \(k) start")
                        #expect(captures[2 * k - 1] == (r.location == NSNotFound ? -1 : r.location + r.length),
                                "\(pattern) on \(name): group \(k) end")
                    }
                }
            }
        }
        // The comparison means something only if both outcomes occur often.
        #expect(matched > 2000)
        #expect(decided - matched > 20000)
    }

    /// Shapes outside the subset are left to NSRegularExpression, whatever they would give.
    @Test func leavesOtherShapesToICU() {
        for pattern in ["(?i)prod", "(?<=a)b", "(a)\\1", "(ab)+", "a++", "\\bprod\\b", "[[:alpha:]]", "[a-z&&[^x]]", "\\p{L}+",
                        "é", "[:alpha:]", "a{2", "(?x) a", "\\Qa.b\\E", "(?=a)", "a*+", "[a-z-0]", "(?<n>a)(?<n>b)"] {
            #expect(ASCIIRegex(pattern) == nil, "\(pattern)")
        }
    }

    /// A pattern that backtracks without end gives up and lets ICU answer, rather than running on.
    @Test func stepBudgetHandsOverToICU() throws {
        let ascii = try #require(ASCIIRegex("^(?<a>a*a*a*a*a*a*)b"))
        let outcome = ascii.firstMatch(String(repeating: "a", count: 40))
        guard case .unknown = outcome else {
            Issue.record("expected .unknown, got \(outcome)")
            return
        }
    }

    /// Rules answer through the byte matcher and through ICU alike.
    @Test func rulesCaptureTheSameThroughEitherMatcher() throws {
        let regex = try SharedRegex("^(?<team>[a-z]+)-(?<env>prod|dev)-")
        #expect(regex.ascii != nil)
        let match = try #require(regex.firstMatch("payments-prod-api"))
        let groups = NameGroups(name: "payments-prod-api", result: match)
        #expect(groups.value("team") == "payments")
        #expect(groups.value("env") == "prod")
        // Not ASCII: ICU answers.
        let accented = try #require(regex.firstMatch("paiements-prod-api-é"))
        guard case .foundation = accented else {
            Issue.record("expected ICU's answer for a non-ASCII name")
            return
        }
        #expect(NameGroups(name: "paiements-prod-api-é", result: accented).value("team") == "paiements")
    }
}
