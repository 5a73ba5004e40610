import KubeCore
import NIOCore
import Testing
@testable import K8sClient

@Suite("watch line splitting")
struct LineSplitterTests {
    func lines(_ chunks: [String], maxLineBytes: Int = 1 << 20) throws -> [String] {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var out: [String] = []
        for chunk in chunks {
            splitter.append(ByteBuffer(string: chunk))
            while let line = try splitter.nextLine() { out.append(String(buffer: line)) }
        }
        if let last = splitter.finish() { out.append(String(buffer: last)) }
        return out
    }

    /// A watch's chunks seldom end at a newline (HTTP/1.1 reads cut events anywhere), so a partial line is
    /// nearly always pending: the splitter must not keep every byte it has read since it was last empty.
    @Test func aStreamWhoseChunksAlwaysEndMidLineIsHeldInBoundedStorage() throws {
        let event = "{\"type\":\"MODIFIED\",\"object\":{\"name\":\"" + String(repeating: "r", count: 2_900) + "\"}}\n"
        let stream = Array(String(repeating: event, count: 2_000).utf8)  // about 6 MB
        let chunkBytes = 16_384  // not a multiple of the event's length: every chunk ends inside an event
        var splitter = LineSplitter()
        var count = 0
        var largest = 0
        var i = 0
        while i < stream.count {
            let end = min(i + chunkBytes, stream.count)
            splitter.append(ByteBuffer(bytes: stream[i..<end]))
            while let line = try splitter.nextLine() {
                #expect(line.readableBytes == event.utf8.count - 1)
                count += 1
            }
            largest = max(largest, splitter.storageCapacity)
            i = end
        }
        #expect(splitter.finish() == nil)
        #expect(count == 2_000)
        #expect(largest <= 4 * (chunkBytes + event.utf8.count), "storage grew to \(largest) bytes")
    }

    @Test func manyLinesInOneChunk() throws {
        #expect(try lines(["a\nbb\nccc\n"]) == ["a", "bb", "ccc"])
    }

    @Test func lineSplitAcrossChunks() throws {
        #expect(try lines(["{\"ty", "pe\":1}\n{\"x\"", ":2}\n"]) == ["{\"type\":1}", "{\"x\":2}"])
    }

    @Test func newlineAloneInAChunkAndCRLFAndBlankLines() throws {
        #expect(try lines(["one", "\n", "\r\n", "two\r\n", "\n\nthree"]) == ["one", "two", "three"])
    }

    @Test func veryLargeLineInTinyChunks() throws {
        let big = String(repeating: "x", count: 300_000)
        let text = "first\n" + big + "\nlast\n"
        let bytes = Array(text.utf8)
        var chunks: [String] = []
        var i = 0
        while i < bytes.count {
            let end = min(i + 1000, bytes.count)
            chunks.append(String(decoding: bytes[i..<end], as: UTF8.self))
            i = end
        }
        let out = try lines(chunks)
        #expect(out.count == 3)
        #expect(out[1].count == 300_000)
        #expect(out[2] == "last")
    }

    @Test func lineBeyondTheLimitIsAnError() throws {
        #expect(throws: KubeClientError.self) { try lines([String(repeating: "y", count: 100), "z"], maxLineBytes: 50) }
    }

    @Test func everySplitPointGivesTheSameLines() throws {
        let text = "{\"a\":1}\n{\"b\":[1,2,3]}\n\n{\"c\":\"é\"}\n"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var splitter = LineSplitter()
            var out: [String] = []
            for part in [bytes[..<cut], bytes[cut...]] {
                var buf = ByteBuffer()
                buf.writeBytes(part)
                splitter.append(buf)
                while let line = try splitter.nextLine() { out.append(String(buffer: line)) }
            }
            #expect(out == ["{\"a\":1}", "{\"b\":[1,2,3]}", "{\"c\":\"é\"}"], "cut at \(cut)")
        }
    }
}

@Suite("watch event decoding")
struct WatchEventDecodingTests {
    let decoder = WatchEventDecoder<ConfigMap>()

    @Test func typedEvents() throws {
        let line = ByteBuffer(string: #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"ns","resourceVersion":"42","creationTimestamp":"2026-01-02T03:04:05Z"},"data":{"k":"v"}}}"#)
        guard case .modified(let cm) = try decoder.decode(line) else { Issue.record("not MODIFIED"); return }
        #expect(cm.metadata.name == "a")
        #expect(cm.metadata.resourceVersion == "42")
        #expect(cm.data == ["k": "v"])
        #expect(cm.metadata.creationTimestamp == KubeTime.parse("2026-01-02T03:04:05Z"))
    }

    @Test func bookmarkWithoutTheKindsRequiredFields() throws {
        // A bookmark's object carries only metadata.resourceVersion: a CloudResource-like kind with a
        // required spec must still decode it.
        let d = WatchEventDecoder<CoreV1Event>()
        let line = ByteBuffer(string: #"{"type":"BOOKMARK","object":{"kind":"Event","apiVersion":"v1","metadata":{"resourceVersion":"977","annotations":{"k8s.io/initial-events-end":"true"}}}}"#)
        guard case .bookmark(let rv) = try d.decode(line) else { Issue.record("not BOOKMARK"); return }
        #expect(rv == "977")
    }

    @Test func errorEventCarriesTheStatus() throws {
        let line = ByteBuffer(string: #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#)
        guard case .error(let status) = try decoder.decode(line) else { Issue.record("not ERROR"); return }
        #expect(status.code == 410)
        #expect(KubeClientError.from(status: status).isGone)
    }

    @Test func garbageIsADecodingErrorNamingTheLine() throws {
        let error = try #require(throws: KubeClientError.self) { try decoder.decode(ByteBuffer(string: #"{"type":"ADDED","object":{"metadata":3}}"#)) }
        guard case .decoding(_, let message) = error else { Issue.record("not a decoding error"); return }
        #expect(message.contains("ADDED"))
    }

    @Test func unknownTypeIsRefused() throws {
        #expect(throws: KubeClientError.self) { try decoder.decode(ByteBuffer(string: #"{"type":"RENAMED","object":{}}"#)) }
    }
}
