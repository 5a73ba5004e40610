import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A helper server process on loopback (moto, or a test's proxy script), for tests and benchmarks. It
/// exits when stopped, and by itself when this process ends (its stdin closes).
public final class LoopbackServer: @unchecked Sendable {
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }
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

    public func stop() {
        if process.isRunning { process.terminate() }
        try? stdin.fileHandleForWriting.close()
        try? FileManager.default.removeItem(at: log)
    }

    /// The server's own output, for failure messages.
    public var output: String { (try? String(contentsOf: log, encoding: .utf8)).map { String($0.suffix(2000)) } ?? "" }

    /// Starts `python3 SCRIPT PORT args...` (a script of `MotoServer.fixtures`) on a free port and waits
    /// (bounded) until it accepts connections.
    public static func start(script: String, arguments: [String] = [], environment: [String: String] = [:]) async throws -> LoopbackServer {
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try Loopback.freePort()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("vtag-\(script)-\(port)-\(UUID().uuidString).log")
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", MotoServer.fixtures.appendingPathComponent(script).path, String(port)] + arguments
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
                if Loopback.accepts(port: port) { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            lastFailure = server.output
            server.stop()
            // Lost the port to someone else between choosing and binding it: try another.
            if !lastFailure.contains("in use") { break }
        }
        throw ProcessFailed(description: "\(script) did not start listening on loopback: \(lastFailure)")
    }

    /// A moto server (checks that moto is installed first).
    public static func moto(environment: [String: String] = [:]) async throws -> LoopbackServer {
        try await MotoServer.requireMoto()
        return try await start(script: "moto_child.py", environment: environment)
    }
}

/// Loopback TCP ports.
public enum Loopback {
    /// A free loopback TCP port (bound, read, released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailed(description: "socket() failed") }
        defer { close(fd) }
        return try bindAnyPort(fd)
    }

    /// A socket listening on a loopback port that never accepts: the kernel completes the handshake, so a client
    /// connects and sends its request, and no answer ever comes. Close the descriptor when done.
    public static func silentListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailed(description: "socket() failed") }
        do {
            let port = try bindAnyPort(fd)
            guard listen(fd, 8) == 0 else { throw ProcessFailed(description: "listen() failed") }
            return (fd, port)
        } catch {
            close(fd)
            throw error
        }
    }

    /// Binds `fd` to a port the kernel picks on 127.0.0.1 and returns it.
    private static func bindAnyPort(_ fd: Int32) throws -> Int {
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

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func accepts(port: Int) -> Bool {
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
