#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CSpawn
import Foundation

/// Runs a program to its end and collects what it printed: exec credential plugins
/// (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`).
///
/// Why posix_spawn and not Foundation's `Process`: in Swift 6.3.1, `Process.run` walks /proc/self/fd to
/// close inherited descriptors and can read past its buffer (swift-corelibs-foundation PR 5472). An
/// operator holds many sockets open, so the crash is likeliest exactly where a plugin runs. Here the
/// child closes every descriptor above stderr itself (`addclosefrom_np`), and the parent reads both
/// pipes with `poll`, so a chatty plugin cannot block on a full stderr pipe.
struct SpawnedProcess {
    struct Output: Sendable {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    /// Why a program could not be run; `errno` as the system said it.
    struct StartFailure: Error, CustomStringConvertible {
        var step: String
        var code: Int32
        var description: String { "\(step) failed: \(String(cString: strerror(code)))" }
    }

    /// `command` with a slash is a path; without one it is looked up in this process's PATH, as
    /// client-go does. Blocks the calling thread: call it from `runDetached`.
    static func run(command: String, arguments: [String], environment: [String: String]) throws(StartFailure) -> Output {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard vtag_pipe_cloexec(&out) == 0 else { throw StartFailure(step: "pipe", code: errno) }
        guard vtag_pipe_cloexec(&err) == 0 else {
            let code = errno
            close(out[0]); close(out[1])
            throw StartFailure(step: "pipe", code: code)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        // Where the C library lacks it (ENOSYS), descriptors opened close-on-exec are still not inherited.
        let closing = vtag_spawn_addclosefrom(&actions, 3)
        guard closing == 0 || closing == ENOSYS else {
            [out[0], out[1], err[0], err[1]].forEach { _ = close($0) }
            throw StartFailure(step: "posix_spawn_file_actions_addclosefrom_np", code: closing)
        }

        let argv = ([command] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = command.contains("/")
            ? posix_spawn(&pid, command, &actions, nil, argv, envp)
            : posix_spawnp(&pid, command, &actions, nil, argv, envp)
        close(out[1])
        close(err[1])
        guard spawned == 0 else {
            close(out[0]); close(err[0])
            throw StartFailure(step: "posix_spawn \(command)", code: spawned)
        }

        let (stdout, stderr) = drain(out[0], err[0])
        close(out[0])
        close(err[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return Output(status: exitCode(status), stdout: stdout, stderr: stderr)
    }

    /// Runs `run` on a thread of its own, off the cooperative pool, which must never block.
    static func runDetached(command: String, arguments: [String], environment: [String: String]) async throws(StartFailure) -> Output {
        let result: Result<Output, StartFailure> = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                do throws(StartFailure) {
                    continuation.resume(returning: .success(try run(command: command, arguments: arguments, environment: environment)))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    /// Reads both pipes until both reach end of file.
    private static func drain(_ outFD: Int32, _ errFD: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while fds.contains(where: { $0.fd >= 0 }) {
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    collected[i].append(contentsOf: buffer[0..<n])
                } else if n == 0 || errno != EINTR {
                    fds[i].fd = -1  // end of file (or a read error): poll ignores negative descriptors
                }
            }
        }
        return (collected[0], collected[1])
    }

    /// The exit status as a shell shows it: the code, or 128 + the signal that ended the program.
    private static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
