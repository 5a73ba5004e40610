import Foundation
import Testing
import TaggingAPI

@Suite struct GoDurationTests {
    @Test(arguments: [("24h", 86_400.0), ("90m", 5_400), ("1h30m", 5_400), ("1.5h", 5_400), ("45s", 45), ("500ms", 0.5), ("0", 0), ("0s", 0), ("2h0m0s", 7_200)])
    func parses(text: String, seconds: Double) {
        #expect(GoDuration.seconds(text) == seconds)
    }

    @Test(arguments: ["", "1d", "h", "24", "-1h", "1h 30m", "1.h", ".5h", "1week"])
    func refuses(text: String) throws {
        #expect(GoDuration.seconds(text) == nil)
    }

    /// The CRD's pattern for vanishedTTL admits exactly what the parser reads.
    @Test func schemaPatternAgreesWithTheParser() throws {
        let pattern = try #require(try CRDCatalog.crd("DiscoveryJob").schema(at: "spec.vanishedTTL")?["pattern"]?.stringValue)
        for text in ["24h", "90m", "1h30m", "1.5h", "45s", "500ms", "1d", "h", "24", "-1h", "1h 30m", "1.h", "1week", "3µs"] {
            #expect(SchemaValidator.matches(text, pattern) == (GoDuration.seconds(text) != nil), "\(text)")
        }
    }
}
