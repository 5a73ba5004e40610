import Foundation
import TaggingAPI

/// The `inventory` discovery provider: resources listed in a CSV or JSON document (the content of
/// a ConfigMap key, or a file). Bad rows are reported as failures with their line; the good rows
/// are yielded in pages. A document that cannot be read at all makes the stream throw.
public struct InventoryProvider: DiscoveryProvider {
    public let data: Data
    public let format: InventoryFormat?
    /// Names the document in messages, e.g. `configmap team-a/inventory key estate.csv`.
    public let source: String
    public let pageSize: Int

    public init(data: Data, format: InventoryFormat? = nil, source: String, pageSize: Int = 500) {
        self.data = data
        self.format = format
        self.source = source
        self.pageSize = max(1, pageSize)
    }

    public init(text: String, format: InventoryFormat? = nil, source: String, pageSize: Int = 500) {
        self.init(data: Data(text.utf8), format: format, source: source, pageSize: pageSize)
    }

    public var description: String { "inventory \(source)" }

    public func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        let (data, format, source, pageSize) = (data, format, source, pageSize)
        return AsyncThrowingStream { continuation in
            do {
                let result = try InventoryReader.read(data, format: format, source: source)
                for p in result.problems { continuation.yield(.failure(p.failure)) }
                var start = 0
                while start < result.records.count {
                    let end = min(start + pageSize, result.records.count)
                    continuation.yield(.resources(result.records[start..<end].map(\.spec)))
                    start = end
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
    }
}
