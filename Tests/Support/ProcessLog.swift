import Foundation
import KubeCore

/// Collects a child process's stderr (JSON log lines) from its pipe's handler thread.
public final class ProcessLog: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    /// The process writing the log: a wait for a line ends when it has exited.
    private var process: Process?

    /// Starts `process` with its stderr collected here; its stdout too with `stdout`, else discarded.
    public static func run(_ process: Process, stdout: Bool = false) throws -> ProcessLog {
        let log = ProcessLog()
        log.process = process
        let stderr = Pipe()
        process.standardError = stderr
        stderr.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        if stdout {
            let out = Pipe()
            process.standardOutput = out
            out.fileHandleForReading.readabilityHandler = { handle in log.append(handle.availableData) }
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        try process.run()
        return log
    }

    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }

    public var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// The JSON log lines so far (lines that are not JSON are left out).
    public var entries: [JSONValue] {
        text.split(separator: "\n").compactMap { try? JSONValue.parse(Data($0.utf8)) }
    }

    /// The `port` field of the first log line whose `msg` is `message` (bounded wait; nil at once when the
    /// process has exited without writing it, e.g. on a flag it rejects).
    public func waitForPort(message: String, timeout: Duration = .seconds(90)) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let exited = process.map { !$0.isRunning } ?? false
            for obj in entries where obj["msg"]?.stringValue == message {
                if let port = obj["port"]?.stringValue.flatMap(Int.init) { return port }
            }
            // Read after the exit was seen: the last lines were written before it.
            if exited { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }
}

/// Where the binaries a test runs as separate processes come from: `VTAG_BINARIES` (a folder, such as
/// `.build/release`, so CI runs what ships), else the debug products built next to the tests.
public enum ShippedBinaries {
    /// The path of `product` (`vtag-operator`, `kubectl-vtag`); nil when it is not built.
    public static func path(_ product: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        candidates(product, environment: environment).first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// Where `path` looks, in order.
    public static func candidates(_ product: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> [URL] {
        if let folder = environment["VTAG_BINARIES"], !folder.isEmpty {
            return [URL(fileURLWithPath: folder).appendingPathComponent(product)]
        }
        // The test bundle runs from .build/<config>/<name>.xctest (a file on Linux, a bundle elsewhere).
        let here = URL(fileURLWithPath: CommandLine.arguments[0])
        return [
            here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(product),
            here.deletingLastPathComponent().appendingPathComponent(product),
        ]
    }

    /// Which build the binaries come from, for messages: the `VTAG_BINARIES` folder or "debug".
    public static var origin: String {
        ProcessInfo.processInfo.environment["VTAG_BINARIES"].flatMap { $0.isEmpty ? nil : $0 } ?? "the debug build next to the tests"
    }
}
