import ArgumentParser
import Discovery
import Foundation
import Inference
import TaggingAPI
import Testing
@testable import VTagCLI

@Suite("kubectl vtag eval")
struct EvalCommandTests {
    func parse(_ args: [String]) throws -> EvalCommand {
        let command = try KubectlVTag.parseAsRoot(args)
        return try #require(command as? EvalCommand)
    }

    /// A path named `name` in a directory of its own; `removeDirectory(of:)` removes both.
    func temporaryPath(_ name: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-eval-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    func removeDirectory(of path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    @Test("--simulate: the JSON output is the evaluation of that estate with its ground truth")
    func simulatedJSON() throws {
        let cmd = try parse(["eval", "--simulate", "300", "--seed", "5", "--clouds", "aws,gcp", "--hide-share", "0.3", "-o", "json"])
        let out = try cmd.render(cmd.evaluate(try cmd.loadInput()))
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(out.utf8))

        let estate = EstateGenerator(seed: 5, count: 300, clouds: ["aws", "gcp"]).generate()
        let expected = Evaluation.run(
            resources: estate.map(\.spec), known: estate.map(\.truth), options: EvaluationOptions(holdoutShare: 0.3, seed: 5))
        #expect(decoded == expected)
        #expect(decoded.resources == 300)
        #expect(decoded.keys.map(\.key) == VTag.defaultRequiredKeys)
    }

    @Test("--real-world: the estate has the phenomena of estates written by others; per key, precision and calibration")
    func realWorldPerKey() throws {
        let cmd = try parse(["eval", "--simulate", "400", "--seed", "8", "--real-world"])
        let input = try cmd.loadInput()
        let estate = EstateGenerator(seed: 8, count: 400, options: .realWorld).generate()
        #expect(input.resources == estate.map(\.spec))
        #expect(input.resources != EstateGenerator(seed: 8, count: 400).generate().map(\.spec))
        let report = cmd.evaluate(input)
        let table = try cmd.render(report)
        #expect(table.contains("PER KEY"))
        for k in report.keys {
            // Every key has its row in the per-key calibration section, with its shortfall last.
            let row = try #require(table.split(separator: "\n").last { $0.hasPrefix(k.key + " ") })
            #expect(row.hasSuffix(String(format: "%.3f", k.calibrationShortfall)), "\(row)")
        }
        let json = try parse(["eval", "--simulate", "400", "--seed", "8", "--real-world", "-o", "json"])
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(try json.render(json.evaluate(input)).utf8))
        #expect(decoded.keys.map(\.calibrationShortfall) == report.keys.map(\.calibrationShortfall))
        #expect(decoded.keys.map(\.appliedPrecision) == report.keys.map(\.appliedPrecision))
    }

    @Test("--predictions: every evaluated value is a CSV row, and the rows add up to the report's figures")
    func predictionsFile() async throws {
        let path = try temporaryPath("predictions.csv")
        defer { removeDirectory(of: path) }
        let cmd = try parse(["eval", "--simulate", "400", "--seed", "8", "--real-world", "-o", "json", "--predictions", path])
        let report = cmd.evaluate(try cmd.loadInput())
        // Recording changes nothing else, and the JSON output leaves the rows to the file.
        let plain = try parse(["eval", "--simulate", "400", "--seed", "8", "--real-world", "-o", "json"])
        let expected = plain.evaluate(try plain.loadInput())
        #expect(expected.predictions == nil)
        var stripped = report
        stripped.predictions = nil
        #expect(stripped == expected)
        #expect(try cmd.render(report) == plain.render(expected))

        let rows = try #require(report.predictions)
        #expect(rows.count == report.overall.evaluated)
        #expect(rows.filter { $0.decision == .apply && $0.correct }.count == report.overall.appliedCorrect)
        #expect(rows.filter { $0.decision == .suggest }.count == report.overall.suggested)
        #expect(rows.filter(\.hidden).count == report.overall.hidden)
        #expect(rows.contains { !$0.hidden }, "the estate's missing values are evaluated too")

        try await cmd.run()
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.first == "resource,key,truth,evaluated,value,confidence,decision,source,correct,reason")
        #expect(lines.count == rows.count + 1)
        let first = try #require(rows.first { $0.reason?.contains(",") ?? false })
        #expect(lines.contains { $0.hasPrefix(first.resource + "," + first.key + ",") && $0.hasSuffix("\"") },
                "a reason with commas is quoted")
    }

    @Test("--estate: the simulated estate is written as an inventory that reads back as the same resources")
    func estateFile() async throws {
        let path = try temporaryPath("estate.csv")
        defer { removeDirectory(of: path) }
        let cmd = try parse(["eval", "--simulate", "300", "--seed", "8", "--real-world", "-o", "json", "--estate", path])
        try await cmd.run()
        let read = try InventoryReader.read(path: path, format: nil)
        #expect(read.problems.isEmpty)
        let generated = EstateGenerator(seed: 8, count: 300, options: .realWorld).generate()
        // Every resource with its tags as generated (misspelt keys and placeholders included); relations are not
        // inventory columns.
        #expect(read.records == generated.map { InventoryRecord(spec: $0.spec) })
        #expect(read.records.contains { $0.tags.keys.contains { !VTag.defaultRequiredKeys.contains($0) } })
        #expect(throws: (any Error).self) { try parse(["eval", "--inventory", path, "--estate", path + ".out"]) }
    }

    @Test("--inventory: bad rows are left out and reported; the table is the evaluation of the good rows")
    func inventoryTable() throws {
        let path = try temporaryPath("estate.csv")
        defer { removeDirectory(of: path) }
        let records = EstateGenerator(seed: 9, count: 300).generate().map { InventoryRecord(spec: $0.spec) }
        var csv = InventoryWriter.csv(records)
        csv += "aws,,ec2:instance,no-id,1,us-east-1" + String(repeating: ",", count: InventoryWriter.tagKeys(of: records).count) + "\n"
        try Data(csv.utf8).write(to: URL(fileURLWithPath: path))

        let cmd = try parse(["eval", "--inventory", path, "--seed", "3"])
        let input = try cmd.loadInput()
        #expect(input.resources.count == 300)
        #expect(input.truth == nil)
        #expect(input.problems.map(\.reason) == ["missing id"])
        #expect(input.problems.first?.line == 302)
        let table = try cmd.render(cmd.evaluate(input))
        let expected = Evaluation.run(resources: records.map(\.spec), options: EvaluationOptions(holdoutShare: 0.2, seed: 3))
        #expect(table == expected.table)
        #expect(table.contains("CONFIDENCE"))
    }

    @Test("a JSON inventory is read as JSON, from its content when the name says nothing")
    func jsonInventory() throws {
        let path = try temporaryPath("estate.export")
        defer { removeDirectory(of: path) }
        let records = EstateGenerator(seed: 2, count: 150).generate().map { InventoryRecord(spec: $0.spec) }
        try Data(InventoryWriter.json(records).utf8).write(to: URL(fileURLWithPath: path))
        let input = try parse(["eval", "--inventory", path]).loadInput()
        #expect(input.resources == records.map(\.spec))
    }

    @Test("an inventory that cannot be read is an error naming it")
    func unreadable() throws {
        let cmd = try parse(["eval", "--inventory", "/nonexistent/estate.csv"])
        #expect { _ = try cmd.loadInput() } throws: { "\($0)".contains("/nonexistent/estate.csv") }
    }

    @Test("bad flags are refused with a message saying what to do", arguments: [
        (["eval"], "exactly one of"),
        (["eval", "--inventory", "x.csv", "--simulate", "5"], "exactly one of"),
        (["eval", "--simulate", "0"], "positive"),
        (["eval", "--simulate", "10", "--hide-share", "0"], "--hide-share"),
        (["eval", "--simulate", "10", "--hide-share", "1.5"], "--hide-share"),
        (["eval", "--simulate", "10", "--clouds", "aws,oracle"], "oracle"),
        (["eval", "--simulate", "10", "--output", "yaml"], "yaml"),
        (["eval", "--inventory", "x.csv", "--real-world"], "--real-world"),
    ])
    func badFlags(args: [String], expected: String) {
        do {
            _ = try KubectlVTag.parseAsRoot(args)
            Issue.record("\(args) was accepted")
        } catch {
            let message = KubectlVTag.message(for: error)
            #expect(message.contains(expected), "\(message)")
        }
    }
}
