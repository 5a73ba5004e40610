#if canImport(Glibc)
import Glibc
#endif
import Foundation
import K8sClient
import ServiceLifecycle

/// glibc's malloc gives each thread that contends for the heap an arena of its own, up to 8 per core;
/// the operator's event-loop and concurrency threads each end up holding freed memory in theirs, and
/// the resident set grows well past what is in use. Two arenas (what many container images set with
/// MALLOC_ARENA_MAX) keep it close to the live heap. An explicit MALLOC_ARENA_MAX is left to rule.
///
/// glibc also raises its mmap threshold to the size of any mmapped block freed (up to 32 MiB), and the trim
/// threshold to twice that: after the first large table is freed, every later one (a training's, a work queue's
/// catch-up) comes from an arena and stays resident when freed, until the next trim. Fixed at glibc's starting
/// 128 KiB, a block that large is mapped and unmapped on its own. Left alone when the environment sets malloc's
/// tunables.
enum MemoryArenas {
    /// malloc.h's M_TRIM_THRESHOLD, M_MMAP_THRESHOLD and M_ARENA_MAX (malloc.h is not part of Swift's Glibc
    /// module, hence dlsym).
    static let trimThresholdOption: Int32 = -1
    static let mmapThresholdOption: Int32 = -3
    static let arenaMaxOption: Int32 = -8
    static let thresholdBytes: Int32 = 128 << 10

    static func limit() {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "mallopt") else { return }  // nil: RTLD_DEFAULT on glibc
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let environment = ProcessInfo.processInfo.environment
        if environment["MALLOC_ARENA_MAX"] == nil {
            _ = mallopt(arenaMaxOption, 2)
        }
        if environment["GLIBC_TUNABLES"] == nil, environment["MALLOC_MMAP_THRESHOLD_"] == nil, environment["MALLOC_TRIM_THRESHOLD_"] == nil {
            _ = mallopt(mmapThresholdOption, thresholdBytes)
            _ = mallopt(trimThresholdOption, thresholdBytes)
        }
        #endif
    }
}

/// Trims the heap every `interval` (`HeapTrim`). free() returns only the top of an arena to the
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
            HeapTrim.now()
        }
    }
}
