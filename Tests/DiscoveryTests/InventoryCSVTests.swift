import Foundation
import Testing
import TaggingAPI
@testable import Discovery

@Suite("Inventory CSV reading")
struct InventoryCSVTests {
    func read(_ text: String) throws -> InventoryReadResult {
        try InventoryReader.read(text, format: .csv, source: "test.csv")
    }

    @Test("fixed columns and tag columns; an empty cell is an absent tag")
    func basic() throws {
        let r = try read("""
            provider,id,type,name,account,region,tag:env,tag:Team
            aws,arn:aws:ec2:us-east-1:1:instance/i-1,ec2:instance,web-1,111111111111,us-east-1,prod,payments
            aws,arn:aws:s3:::logs,s3:bucket,,,,,search

            """)
        #expect(r.problems.isEmpty)
        #expect(r.records == [
            InventoryRecord(
                provider: "aws", id: "arn:aws:ec2:us-east-1:1:instance/i-1", type: "ec2:instance", name: "web-1",
                account: "111111111111", region: "us-east-1", tags: ["env": "prod", "Team": "payments"]),
            InventoryRecord(provider: "aws", id: "arn:aws:s3:::logs", type: "s3:bucket", tags: ["Team": "search"]),
        ])
        #expect(r.records[1].spec.nativeTags == ["Team": "search"])
        #expect(r.records[1].spec.name == nil)
    }

    @Test("RFC 4180 quoting: commas, doubled quotes and line breaks inside quotes; line numbers stay right")
    func quoting() throws {
        let text = "provider,id,type,name,account,region,tag:note\r\n"
            + "aws,i-1,ec2:instance,\"web, primary\",1,us-east-1,\"say \"\"hi\"\"\"\r\n"
            + "aws,i-2,ec2:instance,\"two\nline\nname\",1,us-east-1,\"\"\r\n"
            + "aws,,ec2:instance,x,1,us-east-1,y\r\n"
        let r = try read(text)
        #expect(r.records.map(\.name) == ["web, primary", "two\nline\nname"])
        #expect(r.records[0].tags == ["note": "say \"hi\""])
        #expect(r.records[1].tags.isEmpty)  // "" is empty: absent
        // The bad row starts on physical line 6: the quoted name above spans lines 3-5.
        #expect(r.problems == [InventoryProblem(source: "test.csv", line: 6, reason: "missing id")])
    }

    @Test("LF, CRLF and lone CR line ends, a byte order mark, blank lines and no final line break")
    func lineEnds() throws {
        let text = "\u{FEFF}provider,id,type\n\naws,a,t\r\naws,b,t\raws,c,t\r\n\r\naws,d,t"
        let r = try read(text)
        #expect(r.problems.isEmpty)
        #expect(r.records.map(\.id) == ["a", "b", "c", "d"])
    }

    @Test("bad rows are reported with line and reason; good rows are kept")
    func badRows() throws {
        let r = try read("""
            provider,id,type,name
            aws,a,ec2:instance,one
            aws,b,ec2:instance
            aws,c,ec2:instance,three,extra
            ,d,ec2:instance,four
            aws,e,,five
            aws,a,ec2:instance,again
            aws,f,ec2:instance,5" disk
            aws,g,ec2:instance,"quoted"tail
            gcp,a,compute:instance,same id other provider
            aws,h,ec2:instance,"never closed
            aws,i,ec2:instance,swallowed
            """)
        #expect(r.records.map(\.id) == ["a", "a"])
        #expect(r.records.map(\.provider) == ["aws", "gcp"])
        let byLine = Dictionary(uniqueKeysWithValues: r.problems.map { ($0.line, $0.reason) })
        #expect(byLine.keys.sorted() == [3, 4, 5, 6, 7, 8, 9, 11])
        #expect(byLine[3] == "has 3 fields, the header has 4")
        #expect(byLine[4] == "has 5 fields, the header has 4")
        #expect(byLine[5] == "missing provider")
        #expect(byLine[6] == "missing type")
        #expect(byLine[7]?.contains("duplicate id a (first on line 2)") == true)
        #expect(byLine[8]?.contains("quote inside an unquoted field 4") == true)
        #expect(byLine[9]?.contains("after the closing quote of field 4") == true)
        #expect(byLine[11]?.contains("never closed") == true)
        #expect(r.problems.allSatisfy { $0.failure.scope == "test.csv line \($0.line)" })
    }

    @Test("columns in any order and case; unknown columns are reported, not silently dropped")
    func headerVariants() throws {
        let r = try read("Type, ID ,Provider,cost,tag:env\nec2:instance,i-1,aws,12.5,dev\n")
        #expect(r.records == [InventoryRecord(provider: "aws", id: "i-1", type: "ec2:instance", tags: ["env": "dev"])])
        #expect(r.problems.count == 1)
        #expect(r.problems[0].line == 1 && r.problems[0].reason.contains("`cost`"))
    }

    @Test("a header that cannot work is an error naming the file", arguments: [
        ("provider,type,name\naws,t,n\n", "no id column"),
        ("provider,id,type,id\n", "column id appears twice"),
        ("provider,id,type,tag:env,tag:env\n", "tag column tag:env appears twice"),
        ("provider,id,type,tag:\n", "without a key"),
        ("", "empty"),
        ("\n\n", "empty"),
    ])
    func badHeader(text: String, expected: String) {
        #expect {
            _ = try read(text)
        } throws: { error in
            let message = "\(error)"
            return message.contains("test.csv") && message.contains(expected)
        }
    }

    @Test("feeding the bytes in pieces of any size gives the same result as all at once")
    func chunked() throws {
        let records = EstateGenerator(seed: 4, count: 300).generate().map { InventoryRecord(spec: $0.spec) }
        var tricky = records
        tricky[3].name = "a, \"quoted\"\r\nname"
        tricky[7].tags["note"] = " padded "
        let text = "\u{FEFF}" + InventoryWriter.csv(tricky, lineEnding: .crlf)
        let bytes = Array(text.utf8)
        let whole = try InventoryReader.read(Data(bytes), format: .csv, source: "s")
        #expect(whole.records == tricky)
        var rng = SeededRandom(seed: 99)
        for maxPiece in [1, 2, 3, 7, 64, 4096] {
            var reader = InventoryCSVReader(source: "s")
            var i = 0
            var got: [InventoryRecord] = []
            while i < bytes.count {
                let n = min(bytes.count - i, 1 + rng.below(maxPiece))
                try reader.feed(Array(bytes[i..<(i + n)]))
                got += reader.take().records
                i += n
            }
            try reader.finish()
            let rest = reader.take()
            got += rest.records
            #expect(rest.problems.isEmpty)
            #expect(got == tricky, "pieces up to \(maxPiece) bytes")
        }
    }

    @Test("invalid UTF-8 in a field is a bad row")
    func invalidUTF8() throws {
        var bytes = Array("provider,id,type\naws,a,t\naws,".utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(",t\naws,c,t\n".utf8)
        let r = try InventoryReader.read(Data(bytes), format: .csv, source: "s")
        #expect(r.records.map(\.id) == ["a", "c"])
        #expect(r.problems.map(\.line) == [3])
        #expect(r.problems.first?.reason.contains("UTF-8") == true)
    }
}
