import Foundation
import Testing
import TaggingAPI
@testable import Discovery

@Suite("Inventory JSON, files, writer and provider")
struct InventoryFilesTests {
    /// Records whose values exercise quoting and escaping.
    static let tricky: [InventoryRecord] = [
        InventoryRecord(
            provider: "aws", id: "arn:aws:ec2:eu-west-1:123:instance/i-1", type: "ec2:instance", name: "web, \"blue\"",
            account: "123456789012", region: "eu-west-1", tags: ["env": "prod", "note": "line1\nline2", "Ünïcode": "ça va"]),
        InventoryRecord(provider: "gcp", id: "//storage.googleapis.com/b", type: "storage:bucket", tags: ["tab": "a\tb", "bs": "c:\\d"]),
        InventoryRecord(provider: "azure", id: "/subscriptions/x/resourceGroups/rg", type: "resources:resourcegroup", name: " padded "),
    ]

    @Test("CSV and JSON written by the writer read back to the same records")
    func roundTrip() throws {
        let estate = EstateGenerator(seed: 17, count: 200).generate().map { InventoryRecord(spec: $0.spec) } + Self.tricky
        for ending in [InventoryWriter.LineEnding.lf, .crlf] {
            let csv = try InventoryReader.read(InventoryWriter.csv(estate, lineEnding: ending), source: "rt.csv")
            #expect(csv.problems.isEmpty)
            #expect(csv.records == estate)
        }
        let jsonText = InventoryWriter.json(estate)
        #expect(InventoryReader.sniff(Data(jsonText.utf8)) == .json)
        let json = try InventoryReader.read(jsonText, source: "rt.json")
        #expect(json.problems.isEmpty)
        #expect(json.records == estate)
        // Our JSON is real JSON.
        let parsed = try JSONSerialization.jsonObject(with: Data(jsonText.utf8)) as? [[String: Any]]
        #expect(parsed?.count == estate.count)
    }

    @Test("the writer quotes only where RFC 4180 needs it", arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"x\"", "\"say \"\"x\"\"\""), ("l1\nl2", "\"l1\nl2\""),
        ("cr\r", "\"cr\r\""), (" lead", "\" lead\""), ("", ""),
    ])
    func csvField(value: String, expected: String) {
        #expect(InventoryWriter.csvField(value) == expected)
    }

    @Test("a writer with fixed tag keys writes those columns, in that order")
    func fixedColumns() {
        let w = InventoryWriter(tagKeys: ["team", "env"])
        #expect(w.csvHeader == "provider,id,type,name,account,region,tag:team,tag:env\n")
        #expect(w.csvRow(Self.tricky[0]) == "aws,arn:aws:ec2:eu-west-1:123:instance/i-1,ec2:instance,\"web, \"\"blue\"\"\",123456789012,eu-west-1,,prod\n")
    }

    @Test("JSON: bad elements are reported with the line their object starts on")
    func jsonBadElements() throws {
        let text = """
            [
              {"provider": "aws", "id": "a", "type": "t", "account": 123456789012, "tags": {"env": "prod", "n": 3, "gone": null}},
              {"provider": "aws", "type": "t"},
              "not an object",
              {"provider": "aws", "id": "b", "type": "t",
               "tags": {"x": {"nested": true}}},
              {"provider": "aws", "id": "a", "type": "t"},
              {"provider": "aws", "id": "c", "type": "t", "tags": ["x"]},
              {"provider": "aws", "id": "d", "type": "t", "extra": "ignored"}
            ]
            """
        let r = try InventoryReader.read(text, source: "inv.json")
        #expect(r.records.map(\.id) == ["a", "d"])
        #expect(r.records[0].account == "123456789012")
        #expect(r.records[0].tags == ["env": "prod", "n": "3"])
        #expect(r.problems.map(\.line) == [3, 4, 5, 7, 8])
        #expect(r.problems[0].reason == "element 2: missing id")
        #expect(r.problems[1].reason == "element 3: not an object")
        #expect(r.problems[2].reason.contains("tag `x` is not a string"))
        #expect(r.problems[3].reason.contains("duplicate id a (first on line 2)"))
        #expect(r.problems[4].reason.contains("`tags` is not an object"))
    }

    @Test("JSON that is not an array of objects is an error naming the source", arguments: [
        ("{\"provider\": \"aws\"}", "not an array"), ("[{\"provider\": ", "not valid JSON"),
    ])
    func jsonInvalid(text: String, expected: String) {
        #expect {
            _ = try InventoryReader.read(text, format: .json, source: "cm/inv key data.json")
        } throws: { e in "\(e)".contains("cm/inv key data.json") && "\(e)".contains(expected) }
    }

    @Test("files: CSV streamed in chunks equals reading it from memory; format from the extension or sniffed")
    func files() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-inv-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Large enough to span many chunks (small chunks here; 1 MiB in use).
        let records = EstateGenerator(seed: 2, count: 1_500).generate().map { InventoryRecord(spec: $0.spec) } + Self.tricky
        let csv = InventoryWriter.csv(records, lineEnding: .crlf)
        let chunk = 4096 + 3  // odd, so CRLFs and quotes straddle chunk edges
        #expect(csv.utf8.count > 10 * chunk)
        let csvPath = dir.appendingPathComponent("estate.csv").path
        try Data(csv.utf8).write(to: URL(fileURLWithPath: csvPath))
        #expect(try InventoryReader.read(path: csvPath).records == records)
        var pages = 0
        var streamed: [InventoryRecord] = []
        try InventoryReader.read(path: csvPath, format: nil, chunkSize: chunk) { page in
            pages += 1
            streamed += page.records
        }
        #expect(pages > 10)
        #expect(streamed == records)

        let jsonPath = dir.appendingPathComponent("estate.data").path  // no extension: sniffed
        try Data(InventoryWriter.json(records).utf8).write(to: URL(fileURLWithPath: jsonPath))
        #expect(try InventoryReader.read(path: jsonPath).records == records)
    }

    @Test("a file that cannot be read is an error naming it")
    func unreadable() {
        let missing = "/nonexistent-\(UInt32.random(in: 0...UInt32.max))/inventory.csv"
        #expect { _ = try InventoryReader.read(path: missing) } throws: { e in
            "\(e)".contains(missing) && "\(e)".contains("no such file")
        }
        let dir = FileManager.default.temporaryDirectory.path
        #expect { _ = try InventoryReader.read(path: dir) } throws: { e in "\(e)".contains("directory") }
    }

    @Test("the inventory provider yields pages of good rows and a failure per bad row")
    func provider() async throws {
        var text = "provider,id,type,tag:env\n"
        for i in 0..<1203 { text += "aws,id-\(i),ec2:instance,prod\n" }
        text += "aws,,ec2:instance,prod\n"
        let p = InventoryProvider(text: text, source: "configmap ns/inv key inv.csv")
        var pages: [[CloudResourceSpec]] = []
        var failures: [DiscoveryFailure] = []
        for try await e in p.discover() {
            switch e {
            case .resources(let page): pages.append(page)
            case .failure(let f): failures.append(f)
            }
        }
        #expect(pages.map(\.count) == [500, 500, 203])
        #expect(pages.flatMap { $0 }.map(\.id) == (0..<1203).map { "id-\($0)" })
        #expect(pages[0][0].nativeTags == ["env": "prod"])
        #expect(failures == [DiscoveryFailure(scope: "configmap ns/inv key inv.csv line 1205", message: "missing id")])
    }

    @Test("the inventory provider's stream throws when the document cannot be read")
    func providerThrows() async {
        let p = InventoryProvider(text: "name,region\nx,y\n", source: "cm key")
        await #expect(throws: DiscoveryError.self) {
            for try await _ in p.discover() {}
        }
    }
}
