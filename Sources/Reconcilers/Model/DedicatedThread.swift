import Foundation

/// Runs CPU-heavy work (training on 100,000 resources takes seconds) on a thread of its own, so the
/// Swift cooperative pool — a thread per core, shared by every reconcile — keeps serving them.
enum DedicatedThread {
    static func run<T: Sendable>(name: String, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try work() })
            }
            thread.name = name
            // Decoding deep JSON and training recurse more than the 512 KiB a secondary thread gets by default.
            thread.stackSize = 16 << 20
            thread.start()
        }
    }
}
