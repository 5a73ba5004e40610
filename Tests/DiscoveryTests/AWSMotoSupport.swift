import Discovery
import Foundation
import TaggingAPI
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Test support for the AWS discovery tests: a real moto server (and a throttling proxy) on
/// loopback, the seeding script, and collecting a discovery run with a deadline.
enum MotoSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    struct ProcessFailed: Error, CustomStringConvertible {
        var description: String
    }

    /// moto and boto3 must be importable by python3: if not, the tests fail with this message
    /// rather than pass without having tested anything.
    static func requireMoto() async throws {
        let check: (status: Int32, stdout: Data, stderr: Data)
        do {
            check = try await run(["python3", "-c", "import moto.server, boto3, werkzeug"], timeout: .seconds(120))
        } catch {
            throw Unavailable(description: "python3 is not runnable (\(error)); the AWS discovery tests need python3 with moto[server] and boto3")
        }
        guard check.status == 0 else {
            throw Unavailable(
                description:
                    "moto is not installed for python3: run `python3 -m pip install 'moto[server]' boto3` (the AWS discovery tests run against a real moto server). python3 said: \(String(decoding: check.stderr, as: UTF8.self).suffix(400))"
            )
        }
    }

    /// Runs a command to completion (bounded), its output going through temporary files so a large
    /// output cannot fill a pipe and stall it.
    static func run(_ arguments: [String], environment: [String: String]? = nil, timeout: Duration) async throws -> (
        status: Int32, stdout: Data, stderr: Data
    ) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw ProcessFailed(description: "\(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (process.terminationStatus, try Data(contentsOf: out), try Data(contentsOf: err))
    }

    /// Runs the seeding script and decodes its JSON answer.
    static func seed<T: Decodable>(_ type: T.Type, _ arguments: [String], timeout: Duration = .seconds(600)) async throws -> T {
        let result = try await run(["python3", fixtures.appendingPathComponent("seed_moto.py").path] + arguments, timeout: timeout)
        guard result.status == 0 else {
            throw ProcessFailed(
                description: "seed_moto.py \(arguments.first ?? "") failed (\(result.status)): \(String(decoding: result.stderr, as: UTF8.self).suffix(1500))")
        }
        return try JSONDecoder().decode(T.self, from: result.stdout)
    }

    /// A free loopback TCP port (bound, read, released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailed(description: "socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw ProcessFailed(description: "cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// A loopback server process started by a test (moto, or the throttling proxy). It exits when
/// stopped, and by itself when the test process ends (its stdin closes).
final class LoopbackServer: @unchecked Sendable {
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }
    private let process: Process
    private let stdin: Pipe
    private let log: URL

    private init(port: Int, process: Process, stdin: Pipe, log: URL) {
        self.port = port
        self.process = process
        self.stdin = stdin
        self.log = log
    }

    deinit { stop() }

    func stop() {
        if process.isRunning { process.terminate() }
        try? stdin.fileHandleForWriting.close()
        try? FileManager.default.removeItem(at: log)
    }

    /// The server's own output, for failure messages.
    var output: String { (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(2000)) } ?? "" }

    /// Starts `script PORT args...` on a free port and waits (bounded) until it accepts connections.
    static func start(script: String, arguments: [String] = [], environment: [String: String] = [:]) async throws -> LoopbackServer {
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try MotoSupport.freePort()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-\(script)-\(port)-\(UUID().uuidString).log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", MotoSupport.fixtures.appendingPathComponent(script).path, String(port)] + arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            let stdin = Pipe()
            process.standardInput = stdin
            let handle = try FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
            let server = LoopbackServer(port: port, process: process, stdin: stdin, log: log)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, process.isRunning {
                if MotoSupport.accepts(port: port) { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastFailure = server.output
            server.stop()
            // Lost the port to someone else between choosing and binding it: try another.
            if !lastFailure.contains("in use") { break }
        }
        throw MotoSupport.ProcessFailed(description: "\(script) did not start listening on loopback: \(lastFailure)")
    }

    /// A moto server (checks that moto is installed first).
    static func moto(environment: [String: String] = [:]) async throws -> LoopbackServer {
        try await MotoSupport.requireMoto()
        return try await start(script: "moto_child.py", environment: environment)
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
