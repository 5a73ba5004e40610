import Testing
import TaggingAPI
@testable import Discovery

@Suite("Simulated discovery provider")
struct SimulatedProviderTests {
    func collect(_ p: SimulatedProvider) async throws -> [[CloudResourceSpec]] {
        var pages: [[CloudResourceSpec]] = []
        for try await event in p.discover() {
            switch event {
            case .resources(let page): pages.append(page)
            case .failure(let f): Issue.record("unexpected failure \(f)")
            }
        }
        return pages
    }

    @Test("streams the generator's estate in pages, deterministically")
    func streamsPages() async throws {
        let settings = SimulatedDiscoverySettings(count: 1234, seed: -7, clouds: ["aws", "azure"])
        let p = SimulatedProvider(settings: settings)
        let pages = try await collect(p)
        #expect(pages.map(\.count) == [500, 500, 234])
        let specs = pages.flatMap { $0 }
        let expected = EstateGenerator(seed: UInt64(bitPattern: -7), count: 1234, clouds: ["aws", "azure"]).generate().map(\.spec)
        #expect(specs == expected)
        #expect(Set(specs.map(\.provider)) == ["aws", "azure"])
        #expect(try await collect(SimulatedProvider(settings: settings)).flatMap { $0 } == specs)
        #expect(p.description.contains("1234"))
    }

    @Test("no seed means the default seed, not a random one")
    func defaultSeed() async throws {
        let a = try await collect(SimulatedProvider(settings: .init(count: 50))).flatMap { $0 }
        let b = try await collect(SimulatedProvider(settings: .init(count: 50, seed: SimulatedProvider.defaultSeed))).flatMap { $0 }
        #expect(a.count == 50 && a == b)
    }
}
