import AsyncHTTPClient
import NIOCore

/// The events of one watch answer, decoded as the chunks arrive (nothing accumulates beyond the
/// current partial line). Ends when the server ends the answer; throws if the connection breaks.
public struct WatchEventStream<Object: Decodable & Sendable>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>
    let body: HTTPClientResponse.Body

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: body.makeAsyncIterator())
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: HTTPClientResponse.Body.AsyncIterator
        var lines = LineSplitter()
        let decoder = WatchEventDecoder<Object>()
        var finished = false

        public mutating func next() async throws -> WatchEvent<Object>? {
            while true {
                if let line = try lines.nextLine() { return try decoder.decode(line) }
                if finished { return nil }
                if let chunk = try await chunks.next() {
                    lines.append(chunk)
                } else {
                    finished = true
                    if let last = lines.finish() { return try decoder.decode(last) }
                    return nil
                }
            }
        }
    }
}
