import Foundation

/// The moto side of the AWS tests and benchmark: where its scripts live, whether python3 can run it, and
/// bounded runs of helper commands (seeding scripts and the like).
public enum MotoServer {
    /// The scripts `moto_child.py`, `seed_moto.py` and `throttle_proxy.py`.
    public static let fixtures = RepoFiles.url("Tests/DiscoveryTests/Fixtures")

    /// moto and boto3 must be importable by python3: if not, this fails with how to install them, so a
    /// test fails rather than passes without having tested anything.
    public static func requireMoto() async throws {
        let check: ProcessResult
        do {
            check = try await run(["python3", "-c", "import moto.server, boto3, werkzeug"], timeout: .seconds(120))
        } catch {
            throw Unavailable(description: "python3 is not runnable (\(error)); the AWS tests need python3 with moto[server] and boto3")
        }
        guard check.status == 0 else {
            throw Unavailable(
                description:
                    "moto is not installed for python3: run `python3 -m pip install 'moto[server]' boto3` (the AWS tests run against a real moto server). python3 said: \(String(decoding: check.stderr, as: UTF8.self).suffix(400))"
            )
        }
    }

    /// Runs a command to completion (bounded), its output going through temporary files so a large
    /// output cannot fill a pipe and stall it.
    public static func run(_ arguments: [String], environment: [String: String]? = nil, timeout: Duration) async throws -> ProcessResult {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-aws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out"), err = dir.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
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
        return ProcessResult(status: process.terminationStatus, stdout: try Data(contentsOf: out), stderr: try Data(contentsOf: err))
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }
}

/// How a command run by `MotoServer.run` ended.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    /// The tail of stderr, for failure messages.
    public var errorText: String { String(decoding: stderr.suffix(2000), as: UTF8.self) }
}

/// A helper process that failed, did not finish in time, or did not start.
public struct ProcessFailed: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
