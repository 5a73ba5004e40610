import Discovery
import Foundation
import TaggingAPI
import Testing
import VTagTestSupport

/// Test support for the AWS discovery tests: seeding the moto server (started with
/// `LoopbackServer.moto()` of VTagTestSupport) and collecting a discovery run with a deadline.
enum MotoSupport {
    /// Runs the seeding script and decodes its JSON answer.
    static func seed<T: Decodable>(_ type: T.Type, _ arguments: [String], timeout: Duration = .seconds(600)) async throws -> T {
        let result = try await MotoServer.run(["python3", MotoServer.fixtures.appendingPathComponent("seed_moto.py").path] + arguments, timeout: timeout)
        guard result.status == 0 else {
            throw ProcessFailed(
                description: "seed_moto.py \(arguments.first ?? "") failed (\(result.status)): \(String(decoding: result.stderr, as: UTF8.self).suffix(1500))")
        }
        return try JSONDecoder().decode(T.self, from: result.stdout)
    }
}

/// What `seed_moto.py estate` made.
struct SeededEstate: Decodable {
    struct Resource: Decodable {
        var type: String
        var id: String
        var name: String
        var region: String
        var tags: [String: String]
        var relations: [Relation]
    }

    var account: String
    var resources: [Resource]
}

/// The outcome of one discovery run.
struct DiscoveryOutcome {
    var resources: [CloudResourceSpec] = []
    var failures: [DiscoveryFailure] = []
    /// How many `.resources` events (pages) arrived.
    var pages = 0

    var byID: [String: CloudResourceSpec] { Dictionary(resources.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a }) }
}

struct DiscoveryTimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Runs discovery to the end, failing if it takes longer than `timeout`.
func discoverAll(_ provider: any DiscoveryProvider, timeout: Duration = .seconds(300)) async throws -> DiscoveryOutcome {
    try await withThrowingTaskGroup(of: DiscoveryOutcome?.self) { group in
        group.addTask {
            var outcome = DiscoveryOutcome()
            for try await event in provider.discover() {
                switch event {
                case .resources(let page):
                    outcome.resources += page
                    outcome.pages += 1
                case .failure(let failure):
                    outcome.failures.append(failure)
                }
            }
            return outcome
        }
        group.addTask {
            try await Task.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let outcome = first else {
            throw DiscoveryTimedOut(description: "discovery did not finish within \(timeout)")
        }
        return outcome
    }
}

/// Checks that every seeded resource was discovered as seeded: type, name, region, account,
/// exactly its tags, and at least its relations.
func expectDiscovered(_ seeded: [SeededEstate.Resource], account: String, in outcome: DiscoveryOutcome, sourceLocation: SourceLocation = #_sourceLocation) {
    let found = outcome.byID
    for expected in seeded {
        guard let spec = found[expected.id] else {
            Issue.record("not discovered: \(expected.type) \(expected.id)", sourceLocation: sourceLocation)
            continue
        }
        #expect(spec.provider == "aws", sourceLocation: sourceLocation)
        #expect(spec.type == expected.type, "\(expected.id)", sourceLocation: sourceLocation)
        #expect(spec.name == expected.name, "\(expected.id)", sourceLocation: sourceLocation)
        #expect(spec.region == expected.region, "\(expected.id)", sourceLocation: sourceLocation)
        #expect(spec.account == account, "\(expected.id)", sourceLocation: sourceLocation)
        #expect((spec.nativeTags ?? [:]) == expected.tags, "tags of \(expected.id)", sourceLocation: sourceLocation)
        let relations = Set(spec.relations ?? [])
        for relation in expected.relations {
            #expect(relations.contains(relation), "\(expected.id) lacks \(relation.type) \(relation.target)", sourceLocation: sourceLocation)
        }
    }
}
