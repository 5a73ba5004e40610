import ArgumentParser
import Foundation
import Testing
import VTagTestSupport
@testable import VTagCLI

/// The repository root (for examples/ and crds/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// Parses `args` as `kubectl-vtag args...` would and runs the command with its output captured.
/// Returns stdout, stderr and the error the command ended with (nil on success).
func runCLI(_ args: [String]) async -> (out: String, err: String, error: (any Error)?) {
    let captured = CapturedConsole()
    do {
        var command = try KubectlVTag.parseAsRoot(args)
        try await Console.$current.withValue(captured.console) {
            if var async = command as? any AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        }
    } catch {
        return (captured.out, captured.err, error)
    }
    return (captured.out, captured.err, nil)
}

/// What ArgumentParser would print for an error (its "Error: ..." line without the prefix).
func message(_ error: (any Error)?) -> String {
    guard let error else { return "" }
    return KubectlVTag.message(for: error)
}

func temporaryDirectory(_ tag: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-cli-\(tag)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A temporary directory for one test's input files: `write` puts a file in it, `remove` deletes it all.
struct ScratchFiles {
    let dir: URL

    init(_ tag: String) throws { dir = try temporaryDirectory(tag) }

    /// Writes `text` to the file `name` in the directory and returns the file's path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }
}

/// Waits (bounded) until `condition` holds; records what it waited for and stops the test if it never does.
func eventually(_ what: String, timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    if try await waitUntil(timeout: timeout, condition) { return }
    Issue.record("timed out waiting for: \(what)")
    throw CancellationError()
}

/// Runs `loops` (informers, controllers) in the background while `body` runs, and cancels them when it returns.
func whileRunning(_ loops: [@Sendable () async throws -> Void], _ body: () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        for loop in loops { group.addTask { try await loop() } }
        defer { group.cancelAll() }
        try await body()
    }
}

/// Compares `actual` with the golden file `name`; with VTAG_UPDATE_GOLDEN=1 in the environment the file
/// is (re)written instead (check the diff by eye before committing it).
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = goldenDirectory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["VTAG_UPDATE_GOLDEN"] == "1" {
        try Data(actual.utf8).write(to: url)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    if actual != expected {
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let first = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
        Issue.record("""
            output differs from Golden/\(name) at line \(first + 1):
              golden: \(first < e.count ? String(e[first]) : "<end>")
              actual: \(first < a.count ? String(a[first]) : "<end>")
            If the change is intended, rerun with VTAG_UPDATE_GOLDEN=1 and review the diff of Tests/VTagCLITests/Golden.
            """, sourceLocation: sourceLocation)
    }
}
