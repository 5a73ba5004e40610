import Cost
import Foundation
import KubeCore
import TaggingAPI

/// Streaming a large FOCUS export through cost allocation: rows/s and MB/s, and the peak memory the read
/// adds to the process (it must stay flat however large the file). VTAG_BENCH_FOCUS_MB sets the file's
/// size (default 1024); VTAG_BENCH_FOCUS_GZIP=1 compresses it with gzip first.
enum FOCUSBenchmark {
    static func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let targetBytes = (Int(env["VTAG_BENCH_FOCUS_MB"] ?? "") ?? 1024) << 20
        let gzip = env["VTAG_BENCH_FOCUS_GZIP"] == "1"
        let resources = 10_000
        let estate = (0..<resources).map { i in
            AllocationResource(
                provider: "aws", id: "arn:aws:ec2:eu-west-1:123456789012:instance/i-\(String(format: "%017x", i))",
                tags: i % 5 == 0 ? [:] : ["team": .init(value: "team-\(i % 40)", source: i % 2 == 0 ? .native : .rule)])
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-bench-focus-\(getpid()).csv").path
        defer { try? FileManager.default.removeItem(atPath: path); try? FileManager.default.removeItem(atPath: path + ".gz") }
        let (bytes, rows) = try write(path: path, targetBytes: targetBytes, resources: resources)
        var input = path
        if gzip {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["gzip", "-1", path]
            try p.run()
            p.waitUntilExit()
            input = path + ".gz"
        }
        let before = ProcessUsage.peakResidentMiB()
        let cpu0 = ProcessUsage.cpuSeconds()
        let clock = ContinuousClock()
        var allocator = CostAllocator(keys: ["team"], resources: estate)
        var summary: FOCUSReader.Summary?
        let elapsed = try clock.measure {
            summary = try FOCUSReader.read(path: input, costColumn: .effectiveCost) { allocator.add($0) }
        }
        let cpu = ProcessUsage.cpuSeconds() - cpu0
        let after = ProcessUsage.peakResidentMiB()
        let result = allocator.result()
        precondition(summary?.rows == rows && result.rows == rows, "read \(summary?.rows ?? 0) of \(rows) rows")
        precondition(result.allocated + result.unallocated == result.total)
        let seconds = elapsed.inSeconds
        print("focus-stream-file: \(String(format: "%.0f", Double(bytes) / 1_048_576)) MiB CSV, \(rows) rows\(gzip ? ", read gzip-compressed" : "")")
        print("focus-stream-time: \(String(format: "%.1f", seconds)) s wall, \(String(format: "%.1f", cpu)) s CPU")
        print("focus-stream-rows: \(String(format: "%.0f", Double(rows) / seconds)) rows/s")
        print("focus-stream-throughput: \(String(format: "%.1f", Double(bytes) / 1_048_576 / seconds)) MiB/s (uncompressed)")
        print("focus-stream-peak-memory: \(before) MiB before the read, \(after) MiB after (the read added \(after - before) MiB)")
    }

    /// Writes FOCUS 1.0-shaped rows (ARN and bare ids, tax rows, unknown resources) in 4 MiB chunks.
    static func write(path: String, targetBytes: Int, resources: Int) throws -> (bytes: Int, rows: Int) {
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var chunk = "BillingAccountId,ChargePeriodStart,ResourceId,ProviderName,ServiceName,BilledCost,EffectiveCost,BillingCurrency,Tags\n"
        var bytes = 0, rows = 0
        var state: UInt64 = 7
        while bytes + chunk.utf8.count < targetBytes {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let r = Int(state >> 33)
            let i = r % (resources + resources / 10)
            let bare = String(format: "i-%017x", i)
            let id = i % 7 == 0 ? "NULL" : (r & 1 == 0 ? "arn:aws:ec2:eu-west-1:123456789012:instance/\(bare)" : bare)
            let cost = "\(r % 100_000 / 1000).\(String(format: "%03d", r % 1000))00000"
            chunk += "123456789012,2026-0\(1 + r % 3)-\(String(format: "%02d", 1 + r % 28))T00:00:00Z,\(id),AWS,Amazon Elastic Compute Cloud,\(cost),\(cost),USD,\"{\"\"team\"\": \"\"x\"\"}\"\n"
            rows += 1
            if chunk.utf8.count > 4 << 20 {
                bytes += chunk.utf8.count
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        bytes += chunk.utf8.count
        handle.write(Data(chunk.utf8))
        return (bytes, rows)
    }
}
