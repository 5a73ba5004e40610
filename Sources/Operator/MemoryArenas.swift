#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ServiceLifecycle

/// glibc's malloc gives each thread that contends for the heap an arena of its own, up to 8 per core;
/// the operator's event-loop and concurrency threads each end up holding freed memory in theirs, and
/// the resident set grows well past what is in use. Two arenas (what many container images set with
/// MALLOC_ARENA_MAX) keep it close to the live heap. An explicit MALLOC_ARENA_MAX is left to rule.
enum MemoryArenas {
    /// malloc.h's M_ARENA_MAX (malloc.h is not part of Swift's Glibc module, hence dlsym).
    static let arenaMaxOption: Int32 = -8

    static func limit() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil,
              let symbol = dlsym(nil, "mallopt") else { return }  // nil: RTLD_DEFAULT on glibc
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        _ = unsafeBitCast(symbol, to: Mallopt.self)(arenaMaxOption, 2)
        #endif
    }

    /// Hands the arenas' free pages back to the kernel (glibc's malloc_trim(0)); a no-op without glibc.
    static func trim() {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return }
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}

/// Trims the heap every `interval` (`MemoryArenas.trim`). free() returns only the top of an arena to the
/// kernel; what a model training or a burst of watch events freed below it stays resident: about 15 MiB
/// after a training on 10,000 resources. A trim costs milliseconds.
struct MemoryTrimService: Service {
    let interval: Duration

    func run() async throws {
        while true {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return  // graceful shutdown or cancellation
            }
            MemoryArenas.trim()
        }
    }
}
