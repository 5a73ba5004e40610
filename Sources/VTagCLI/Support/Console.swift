import KubeCore
import Foundation

/// Where a command's output goes: stdout/stderr in the executable, a buffer in tests. A task-local so
/// tests running in parallel each capture their own command's output without touching the process's.
public final class Console: Sendable {
    private let writeOut: @Sendable (String) -> Void
    private let writeErr: @Sendable (String) -> Void

    /// The error stream is a terminal: progress lines are rewritten in place.
    let errIsTerminal: Bool

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void, errIsTerminal: Bool = false) {
        writeOut = out
        writeErr = err
        self.errIsTerminal = errIsTerminal
    }

    /// The process's standard output and error.
    public static let standard = Console(
        out: { FileHandle.standardOutput.write(Data($0.utf8)) },
        err: { FileHandle.standardError.write(Data($0.utf8)) },
        errIsTerminal: isatty(2) == 1)

    @TaskLocal public static var current: Console = .standard

    /// Writes `text` to the output as is (callers end lines themselves).
    public func write(_ text: String) { writeOut(text) }
    /// Writes one line to the output.
    public func line(_ text: String = "") { writeOut(text + "\n") }
    /// Writes one line to the error stream: warnings and progress, never data.
    public func note(_ text: String) { writeErr(text + "\n") }

    /// A progress line on the error stream: rewritten in place on a terminal; elsewhere (logs, CI) written
    /// only when `stage` changes, so a long wait is a few lines, not one per poll.
    public func progress(_ text: String, stage: String, last: inout String?) {
        if errIsTerminal {
            writeErr("\r\u{1B}[2K" + text)
        } else if stage != last {
            writeErr(text + "\n")
        }
        last = stage
    }

    /// Ends a progress line on a terminal (before other output).
    public func endProgress(_ last: String?) {
        if errIsTerminal, last != nil { writeErr("\n") }
    }
}

/// A console that keeps what was written, for tests.
public final class CapturedConsole: Sendable {
    private let state = Locked<(out: String, err: String)>(("", ""))

    public init() {}

    public var console: Console {
        Console(out: { s in self.state.withLock { $0.out += s } }, err: { s in self.state.withLock { $0.err += s } })
    }

    public var out: String { state.withLock { $0.out } }
    public var err: String { state.withLock { $0.err } }
}
