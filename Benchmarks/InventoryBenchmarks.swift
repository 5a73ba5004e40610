import Discovery
import Foundation

/// Parsing a 100,000-row inventory CSV from disk (streamed in chunks), after generating the
/// estate with the simulated generator and writing it with the inventory writer.
func inventoryParseBenchmark() async throws {
    let rows = 100_000
    let clock = ContinuousClock()
    var estate: [SimulatedResource] = []
    let generate = clock.measure { estate = EstateGenerator(seed: 1, count: rows).generate() }
    let records = estate.map { InventoryRecord(spec: $0.spec) }
    let csv = InventoryWriter.csv(records)
    let bytes = csv.utf8.count
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-bench-inventory-\(getpid()).csv").path
    try Data(csv.utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }

    var best = Duration.seconds(1_000)
    var parsed = 0
    for _ in 0..<5 {
        let t = try clock.measure {
            let result = try InventoryReader.read(path: path)
            parsed = result.records.count
            precondition(result.problems.isEmpty, "\(result.problems.prefix(3))")
        }
        best = min(best, t)
    }
    precondition(parsed == rows, "parsed \(parsed) of \(rows)")
    let elapsed = inventoryBenchSeconds(best)
    print("inventory-generate-100k: \(String(format: "%.0f", Double(rows) / inventoryBenchSeconds(generate))) resources/s")
    print("inventory-parse-100k-file-size: \(String(format: "%.1f", Double(bytes) / 1e6)) MB, \(InventoryWriter.tagKeys(of: records).count) tag columns")
    print("inventory-parse-100k-time: \(String(format: "%.3f", elapsed)) s (best of 5)")
    print("inventory-parse-100k-rows: \(String(format: "%.0f", Double(rows) / elapsed)) rows/s")
    print("inventory-parse-100k-throughput: \(String(format: "%.1f", Double(bytes) / 1e6 / elapsed)) MB/s")
}

private func inventoryBenchSeconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
