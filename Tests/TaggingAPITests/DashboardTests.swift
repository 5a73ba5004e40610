import Foundation
import Testing
import VTagTestSupport

/// The Grafana dashboard in dashboards/ queries only metrics the operator exports, so a renamed metric
/// cannot leave an empty panel behind.
@Suite struct DashboardTests {
    /// Metric names the sources register (`label: "vtag_..."`).
    static func exportedMetrics() throws -> Set<String> {
        var names = Set<String>()
        let sources = RepoFiles.url("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        let pattern = try Regex(#"label: "(vtag_[a-z_]+)""#)
        for file in files where file.pathExtension == "swift" {
            for match in try String(contentsOf: file, encoding: .utf8).matches(of: pattern) {
                if let name = match.output[1].substring { names.insert(String(name)) }
            }
        }
        return names
    }

    @Test func everyQueriedVTagMetricIsExported() throws {
        let data = try Data(contentsOf: RepoFiles.url("dashboards/vtag-overview.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(exprs.count >= 10)
        let exported = try Self.exportedMetrics()
        #expect(exported.contains("vtag_required_key_coverage_ratio"))
        let metric = try Regex(#"vtag_[a-z_]+"#)
        for expr in exprs {
            for m in expr.matches(of: metric) {
                var name = String(expr[m.range])
                // A Timer is exported as a histogram: NAME_sum, NAME_count, NAME_bucket.
                for suffix in ["_sum", "_count", "_bucket"] where name.hasSuffix(suffix) && !exported.contains(name) {
                    name = String(name.dropLast(suffix.count))
                }
                #expect(exported.contains(name), "the dashboard queries \(name), which no source exports (\(expr))")
            }
        }
        #expect(dashboard["uid"] as? String == "vtag-overview")
    }
}
