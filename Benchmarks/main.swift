// vtag-bench: the performance harness. Timing lives here, never in tests.
// Usage: swift run -c release vtag-bench [NAME ...]   (no name: list them)
// Each benchmark prints its figures as lines "name: value unit" so the README can quote them.
import Foundation

/// One line per benchmark: name, what it measures, and the function that runs it.
/// Add yours here (keep one line each so parallel work merges cleanly).
let benchmarks: [(name: String, summary: String, run: () async throws -> Void)] = [
    ("runtime-cache-memory", "informer cache bytes per CloudResource, with/without transform", runtimeCacheMemoryBenchmark),
    ("runtime-cache-breakdown", "bytes per cached CloudResource by part (history, virtual tags, spec maps, ...), operator's transform", CacheBreakdownBenchmark.run),
    ("runtime-gauge-scan", "the operator's gauge scan over 100,000 packed CloudResources, against unpacking each (CPU)", GaugeScanBenchmark.run),
    ("runtime-queue-throughput", "keys/s through a 4-worker controller with a no-op reconcile", runtimeQueueThroughputBenchmark),
    ("inference-evaluate", "100,000 resources x 200 rules (+ model, inheritance), CPU seconds on one thread", InferenceBenchmarks.evaluate),
    ("inference-rules", "the rules-only pass of inference-evaluate, 5 runs (min, all), no training: for profiling", InferenceBenchmarks.rulesOnly),
    ("inference-train", "model training on 100,000 resources, model size, incremental learning", InferenceBenchmarks.train),
    ("inventory-parse", "parse a 100,000-row inventory CSV from disk (rows/s, MB/s), after generating it", inventoryParseBenchmark),
    ("aws-discovery", "5,000 EC2 instances from a local moto server: wall time and vtag's own CPU time", AWSDiscoveryBenchmark.run),
    ("watch-decode", "100,000 CloudResource watch events through LineSplitter + typed decode", WatchDecodeBenchmark.run),
    ("focus-stream", "a 1 GiB FOCUS export through cost allocation: rows/s, MiB/s, the memory the read adds", FOCUSBenchmark.run),
    ("operator-ceiling", "the API server's write ceiling, then a DiscoveryJob by the vtag-operator process: ratio, requests/resource, peak RSS", EstateCeilingBenchmark.run),
    ("operator-estate", "DiscoveryJob of 10,000 simulated resources -> all evaluated (in-process API server), peak memory", OperatorBenchmark.run),
]

let args = Array(CommandLine.arguments.dropFirst())
if args.isEmpty || args == ["--list"] {
    print("benchmarks:")
    for b in benchmarks { print("  \(b.name.padding(toLength: 28, withPad: " ", startingAt: 0)) \(b.summary)") }
    print("run: swift run -c release vtag-bench NAME... | all")
} else {
    let chosen = args == ["all"] ? benchmarks : benchmarks.filter { args.contains($0.name) }
    if chosen.isEmpty { FileHandle.standardError.write(Data("no benchmark named \(args)\n".utf8)); exit(2) }
    for b in chosen {
        print("== \(b.name)")
        do {
            try await b.run()
        } catch {
            // A message, not a crash report: the usual cause is the setup (a flag, a missing binary).
            FileHandle.standardError.write(Data("\(b.name) failed: \(error)\n".utf8))
            exit(1)
        }
    }
}
