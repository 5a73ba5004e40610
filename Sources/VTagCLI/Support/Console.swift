import Foundation
import Synchronization

/// Where a command's output goes: stdout/stderr in the executable, a buffer in tests. A task-local so
/// tests running in parallel each capture their own command's output without touching the process's.
public final class Console: Sendable {
    private let writeOut: @Sendable (String) -> Void
    private let writeErr: @Sendable (String) -> Void

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void) {
        writeOut = out
        writeErr = err
    }

    /// The process's standard output and error.
    public static let standard = Console(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) })

    @TaskLocal public static var current: Console = .standard

    /// Writes `text` to the output as is (callers end lines themselves).
    public func write(_ text: String) { writeOut(text) }
    /// Writes one line to the output.
    public func line(_ text: String = "") { writeOut(text + "\n") }
    /// Writes one line to the error stream: warnings and progress, never data.
    public func note(_ text: String) { writeErr(text + "\n") }
}

/// A console that keeps what was written, for tests.
public final class CapturedConsole: Sendable {
    private let state = Mutex<(out: String, err: String)>(("", ""))

    public init() {}

    public var console: Console {
        Console(out: { s in self.state.withLock { $0.out += s } }, err: { s in self.state.withLock { $0.err += s } })
    }

    public var out: String { state.withLock { $0.out } }
    public var err: String { state.withLock { $0.err } }
}
