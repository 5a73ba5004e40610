import ArgumentParser
import Cost
import Foundation

/// The FOCUS files of `cost` and `plan --focus`, read into one or more allocators in a single pass.
struct FOCUSInput {
    var files: [String]
    var costColumn: FOCUSCostColumn

    /// Streams every file through `allocators` (each sees every charge); returns what each file held.
    /// Unusable rows are reported on the error stream with their line; a file that is not FOCUS stops it.
    func allocate(into allocators: inout [CostAllocator]) throws -> [FOCUSReader.Summary] {
        var summaries: [FOCUSReader.Summary] = []
        for file in files {
            let summary: FOCUSReader.Summary
            do {
                summary = try FOCUSReader.read(path: file, costColumn: costColumn) { charge in
                    for i in allocators.indices { allocators[i].add(charge) }
                }
            } catch {
                throw CLIError("cannot read the FOCUS file \(error.description)")
            }
            for p in summary.problems { Console.current.note("warning: \(p) (row left out of every figure)") }
            if summary.problemCount > summary.problems.count {
                Console.current.note("warning: \(file): \(summary.problemCount - summary.problems.count) more unusable rows")
            }
            summaries.append(summary)
        }
        return summaries
    }

    /// One currency: sums of several would mean nothing.
    static func checkCurrency(_ allocation: CostAllocation) throws {
        guard allocation.currencies.count <= 1 else {
            throw CLIError("the FOCUS files bill in \(allocation.currencies.count) currencies (\(allocation.currencies.joined(separator: ", "))); their costs cannot be added up: give the files of one BillingCurrency at a time")
        }
    }
}

extension FOCUSCostColumn: ExpressibleByArgument {}

/// `--by team,env` as a list.
enum AllocationKeys {
    static func parse(_ text: String) -> [String] {
        var seen = Set<String>()
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}
