import Testing
import TaggingAPI
@testable import Inference

@Suite("name tokens: the ASCII byte path splits as the scalar path does")
struct NameTokenizerTests {
    @Test func asciiPathMatchesTheScalarPathOnManyNames() {
        // Names built from the pieces the rules care about: case changes, digit runs, id-like chunks, separators.
        let pieces = ["pay", "Ments", "API", "prod", "03", "7f3a9c2d", "x", "HTTPServer", "v2", "0abc123def", "LEDGER", "-", "_", ".", "/", " ", "a1b2c3", "Q"]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        for _ in 0..<5_000 {
            let name = (0..<(1 + next(7))).map { _ in pieces[next(pieces.count)] }.joined()
            let fast = NameTokenizer.asciiTokens(name)
            #expect(fast == NameTokenizer.scalarTokens(name), "\(name)")
        }
        for name in ["", "-", "a", "ab", "A-B", "AB", "aB", "Ab1", "123", "abc123def456"] {
            #expect(NameTokenizer.asciiTokens(name) == NameTokenizer.scalarTokens(name), "\(name)")
        }
    }

    @Test func oneReadingGivesTheTokensLettersAndIdChunksOfTheSeparatePasses() {
        // Pieces that make letters stand alone (`D`, `x`, `ApiD03`), id-like chunks and camelCase runs.
        let pieces = ["pay", "Ments", "Api", "D", "x", "03", "7f3a9c2d", "T", "HTTPServer", "s3", "-", "_", ".", " ", "q1w2e3", "ledgerApiD"]
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        var names = (0..<5_000).map { _ in (0..<(1 + next(6))).map { _ in pieces[next(pieces.count)] }.joined() }
        names += ["", "-", "d", "D-d", "STREAMING-D-WEB01", "café-D-prod", "zürichApiD03", "東京-x-7f3a9c2d"]
        var lettersSeen = 0, idLikeSeen = 0
        for name in names {
            let reading = NameTokenizer.read(name)
            #expect(reading.tokens == NameTokenizer.scalarTokens(name), "\(name)")
            #expect(reading.letters == NameTokenizer.letters(name), "\(name)")
            #expect(reading.hasIdLikeChunk == NameTokenizer.hasIdLikeChunk(name), "\(name)")
            if !reading.letters.isEmpty { lettersSeen += 1 }
            if reading.hasIdLikeChunk { idLikeSeen += 1 }
        }
        // The names exercise both: a generator that never made a letter or an id would compare nothing.
        #expect(lettersSeen > 500 && idLikeSeen > 500)
    }

    @Test func otherNamesTakeTheScalarPath() {
        for name in ["café-prod-01", "zürich_api", "東京-web", "naïveApiProd"] {
            #expect(NameTokenizer.asciiTokens(name) == nil)
            #expect(NameTokenizer.tokens(name) == NameTokenizer.scalarTokens(name))
        }
        #expect(NameTokenizer.tokens("café-prod-01") == ["café", "prod"])
    }

    @Test func lettersStandingAloneAreFoundWhereWordsDropThem() {
        #expect(NameTokenizer.letters("STREAMING-D-WEB01") == ["d"])
        #expect(NameTokenizer.letters("p_ledger_api_03") == ["p"])
        #expect(NameTokenizer.letters("ledgerApiD03") == ["d"])
        #expect(NameTokenizer.letters("ledgerApiT") == ["t"])
        #expect(NameTokenizer.letters("RG-LEDGER-T") == ["t"])
        // Part of a code or a word: `s3`, `v2`, `iPhone`, a capital that starts a word (`ApiServer`).
        #expect(NameTokenizer.letters("assets-s3-bucket").isEmpty)
        #expect(NameTokenizer.letters("api-v2-prod").isEmpty)
        #expect(NameTokenizer.letters("iPhone-ApiServer").isEmpty)
        // Each letter once; an id-like chunk stays out; words drop them still.
        #expect(NameTokenizer.letters("d-x-D-7f3a9c2d") == ["d", "x"])
        #expect(NameTokenizer.tokens("STREAMING-D-WEB01") == ["streaming", "web"])
        #expect(NameTokenizer.letters("").isEmpty && NameTokenizer.letters("-").isEmpty)
    }

    @Test func lettersEndingRunTogetherWordsAreFoundWhenTheRestIsKnownWords() {
        let lexicon = NameLexicon(words: ["sessions", "db", "user", "profile", "app", "worker"])
        #expect(lexicon.endingLetters("sessionsdbd") == ["d"])
        #expect(lexicon.endingLetters("userprofileappd01") == ["d"])
        #expect(lexicon.endingLetters("sessionsworkert-2") == ["t"])
        // The rest is not all known words, the token is too short, or it ends in a known word.
        #expect(lexicon.endingLetters("sessionsxyzd").isEmpty)
        #expect(lexicon.endingLetters("appd").isEmpty)
        #expect(lexicon.endingLetters("sessionsdb").isEmpty)
        #expect(NameLexicon().endingLetters("sessionsdbd").isEmpty)
        // Read as letters `e:` beside the standing-alone letters `l:`, kept out of the features every key's naive
        // Bayes reads; env's reads the standing-alone ones.
        let features = ResourceFeatures(spec: resource("r", name: "sessionsdbd-P-1"), knownTags: [:], lexicon: lexicon)
        #expect(features.letters == ["l:p", "e:d"])
        #expect(!features.base.contains { $0.hasPrefix("l:") || $0.hasPrefix("e:") })
        #expect(features.features(for: "env").filter { $0.hasPrefix("l:") || $0.hasPrefix("e:") } == ["l:p"])
        #expect(!features.features(for: "team").contains { $0.hasPrefix("l:") || $0.hasPrefix("e:") })
    }
}
