import Foundation
import KubeCore
import Testing
import TaggingAPI

/// DiscoveryJob.spec.vanishedTTL: the schema's pattern admits only Go durations KubeCore's parser reads (and no
/// negative ones), so a TTL the API server accepts always works.
@Suite struct VanishedTTLTests {
    @Test func schemaPatternAdmitsOnlyWhatTheParserReads() throws {
        let pattern = try #require(try CRDCatalog.crd("DiscoveryJob").schema(at: "spec.vanishedTTL")?["pattern"]?.stringValue)
        let accepted = ["24h", "90m", "1h30m", "1.5h", "45s", "500ms", "0", "0s", "3µs", "3μs", "2h0m0s"]
        let refused = ["", "1d", "h", "24", "-1h", "+1h", "1h 30m", " 24h", "1.h", "1week", "forever"]
        for text in accepted {
            #expect(SchemaValidator.matches(text, pattern), "\(text)")
            #expect((try? GoDuration.parse(text)) != nil, "\(text)")
        }
        for text in refused { #expect(!SchemaValidator.matches(text, pattern), "\(text)") }
    }

    @Test func theEffectiveTTLDefaultsTo24h() {
        #expect(DiscoveryJobSpec(provider: .simulated).vanishedTTLSeconds == 86_400)
        #expect(DiscoveryJobSpec(provider: .simulated, vanishedTTL: "90m").vanishedTTLSeconds == 5_400)
        #expect(DiscoveryJobSpec(provider: .simulated, vanishedTTL: "soon").vanishedTTLSeconds == nil)
    }
}
