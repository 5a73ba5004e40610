import TaggingAPI

/// The `simulated` discovery provider: a seeded estate from `EstateGenerator`, streamed in pages
/// like a real cloud listing. The same settings always yield the same resources.
public struct SimulatedProvider: DiscoveryProvider {
    public static let defaultSeed: Int64 = 42
    public static let defaultPageSize = 500

    public let generator: EstateGenerator
    public let pageSize: Int

    public init(settings: SimulatedDiscoverySettings, options: EstateOptions = .init(), pageSize: Int = Self.defaultPageSize) {
        // The CRD's seed is a signed 64-bit integer; its bit pattern is the generator's seed.
        let seed = UInt64(bitPattern: settings.seed ?? Self.defaultSeed)
        generator = EstateGenerator(
            seed: seed, count: settings.count, clouds: settings.clouds ?? ["aws", "gcp", "azure"], options: options)
        self.pageSize = max(1, pageSize)
    }

    public var description: String {
        "simulated \(generator.count) resources [\(generator.clouds.joined(separator: ", "))] seed \(Int64(bitPattern: generator.seed))"
    }

    public func discover() -> AsyncThrowingStream<DiscoveryEvent, any Error> {
        // Pull-based: a page is generated only when the consumer asks, so memory stays one page.
        let source = PageSource(generator.pages(size: pageSize).makeIterator())
        return AsyncThrowingStream(unfolding: {
            guard !Task.isCancelled, let page = await source.next() else { return nil }
            return .resources(page.map(\.spec))
        })
    }
}

/// Owns the estate's iterator for the stream (one consumer, but the stream's closure is @Sendable).
private actor PageSource {
    var iterator: EstatePages.Iterator
    init(_ iterator: EstatePages.Iterator) { self.iterator = iterator }
    func next() -> [SimulatedResource]? { iterator.next() }
}
