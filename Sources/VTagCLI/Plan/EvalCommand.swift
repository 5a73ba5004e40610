import ArgumentParser
import Discovery
import Foundation
import Inference
import TaggingAPI

/// `kubectl vtag eval`: measures tag inference on an inventory whose values are known. A share of the
/// known values of each key is hidden, the model learns from the rest, and the hidden values are
/// predicted and compared. With `--simulate` the estate is generated and its ground truth is known
/// for every resource, so the naturally missing values are measured too.
struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure tag inference: precision and coverage per key, and a calibration table.",
        discussion: """
            Reads an inventory (CSV with provider,id,type,name,account,region and tag:KEY columns, or the same \
            as JSON), hides a share of each key's known values, learns from the rest, and reports per key the \
            precision and coverage of auto-applied tags, the precision of suggestions, and how often \
            predictions in each confidence bucket were right.

              kubectl vtag eval --inventory estate.csv
              kubectl vtag eval --simulate 20000 --seed 7 --output json
              kubectl vtag eval --simulate 10000 --seed 1013 --real-world
              kubectl vtag eval --simulate 10000 --seed 7 --predictions predictions.csv
            """)

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case table, json }
    enum FileFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @Option(name: .long, help: "Inventory file to evaluate on (CSV or JSON).")
    var inventory: String?

    @Option(name: .long, help: ArgumentHelp("Evaluate on a simulated estate of this many resources instead.", valueName: "N"))
    var simulate: Int?

    @Option(name: .long, help: "Clouds of the simulated estate, comma-separated.")
    var clouds: String = "aws,gcp,azure"

    @Flag(name: .long, help: ArgumentHelp(
        "Give the simulated estate what estates written by other people have: identifiers in several spellings, misspelt keys and values, suffixed names, tags stale after a team's rename, placeholder values (TBD, N/A)."))
    var realWorld = false

    @Option(name: .long, help: "Seed of the simulated estate and of which values are hidden.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Share of each key's known values hidden from learning, in (0, 1].")
    var hideShare: Double = 0.2

    @Option(name: .long, help: "Inventory format (default: from the file's extension, else sniffed).")
    var format: FileFormat?

    @Option(name: [.short, .long], help: "table or json.")
    var output: OutputFormat = .table

    @Option(name: .long, help: ArgumentHelp(
        "Also write every evaluated value to this CSV file: resource, key, truth, hidden or missing, the prediction with its confidence, decision, source and reason, and whether it was right.",
        valueName: "FILE"))
    var predictions: String?

    @Option(name: .long, help: ArgumentHelp(
        "With --simulate: also write the simulated estate to this inventory CSV file, its tags as generated (none hidden), to read with plan --inventory or another tool.",
        valueName: "FILE"))
    var estate: String?

    func validate() throws {
        guard (inventory == nil) != (simulate == nil) else {
            throw ValidationError("give exactly one of --inventory FILE or --simulate N")
        }
        if let n = simulate, n <= 0 { throw ValidationError("--simulate needs a positive number of resources, not \(n)") }
        if realWorld && simulate == nil { throw ValidationError("--real-world shapes a simulated estate: use it with --simulate N") }
        if estate != nil && simulate == nil { throw ValidationError("--estate writes a simulated estate: use it with --simulate N") }
        guard hideShare > 0 && hideShare <= 1 else {
            throw ValidationError("--hide-share must be in (0, 1], not \(hideShare)")
        }
        let unknown = cloudList.filter { !["aws", "gcp", "azure"].contains($0) }
        guard unknown.isEmpty else {
            throw ValidationError("unknown cloud \(unknown.joined(separator: ", ")) in --clouds (aws, gcp, azure)")
        }
    }

    var cloudList: [String] {
        clouds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
    }

    /// The estate to evaluate on, the ground truth where known, and rows of the inventory left out.
    struct Input {
        var resources: [CloudResourceSpec]
        var truth: [[String: String]]?
        var problems: [InventoryProblem]
    }

    func loadInput() throws -> Input {
        if let n = simulate {
            let estate = EstateGenerator(
                seed: seed, count: n, clouds: cloudList, options: realWorld ? .realWorld : EstateOptions()).generate()
            return Input(resources: estate.map(\.spec), truth: estate.map(\.truth), problems: [])
        }
        // An unreadable file throws DiscoveryError.inventoryUnreadable, whose message names the file.
        let read = try InventoryReader.read(path: inventory!, format: format.map { InventoryFormat(rawValue: $0.rawValue)! })
        return Input(resources: read.records.map(\.spec), truth: nil, problems: read.problems)
    }

    var evaluationOptions: EvaluationOptions {
        EvaluationOptions(holdoutShare: hideShare, seed: seed, recordPredictions: predictions != nil)
    }

    func evaluate(_ input: Input) -> EvaluationReport {
        Evaluation.run(resources: input.resources, known: input.truth, options: evaluationOptions)
    }

    /// The evaluated values as CSV (see `--predictions`), one row each, in the order evaluated.
    static func predictionsCSV(_ rows: [EvaluatedPrediction]) -> String {
        var out = "resource,key,truth,evaluated,value,confidence,decision,source,correct,reason\n"
        for r in rows {
            let cells = [
                r.resource, r.key, r.truth, r.hidden ? "hidden" : "missing", r.value ?? "",
                r.confidence.map { String(format: "%.4f", $0) } ?? "", r.decision?.rawValue ?? "", r.source?.rawValue ?? "",
                r.correct ? "true" : "false", r.reason ?? "",
            ]
            out += cells.map(InventoryWriter.csvField).joined(separator: ",") + "\n"
        }
        return out
    }

    /// The report for the terminal or JSON: the evaluated values go to their own file, not there.
    func render(_ report: EvaluationReport) throws -> String {
        var report = report
        report.predictions = nil
        switch output {
        case .table:
            return report.table
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
        }
    }

    func run() async throws {
        let input = try loadInput()
        for p in input.problems { FileHandle.standardError.write(Data("warning: \(p) (row left out)\n".utf8)) }
        guard !input.resources.isEmpty else {
            throw ValidationError("\(inventory ?? "the estate") has no usable rows: nothing to evaluate")
        }
        if let path = estate {
            do {
                try InventoryWriter.csv(input.resources.map { InventoryRecord(spec: $0) }).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write the estate to \(path): \(error.localizedDescription)")
            }
        }
        let report = evaluate(input)
        if let path = predictions {
            do {
                try Self.predictionsCSV(report.predictions ?? []).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write the predictions to \(path): \(error.localizedDescription)")
            }
        }
        print(try render(report), terminator: "")
    }
}
