#if canImport(Glibc)
import KubeCore
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A value guarded by a pthread mutex: the project's one lock type.
///
/// Why not `Synchronization.Mutex`: on Linux it locks with raw futex system calls, which ThreadSanitizer
/// does not intercept, so every access made under it is reported as a data race and real races drown in
/// that noise. pthread mutexes are intercepted, so a clean `swift test --sanitize=thread` run means
/// something. The price is one heap allocation per lock, paid once at creation.
///
/// The mutex uses priority inheritance (`PTHREAD_PRIO_INHERIT`), as `Mutex` does on Linux (FUTEX_LOCK_PI):
/// an unlock hands the lock to the thread waiting longest. A plain pthread mutex lets the unlocking thread
/// take it straight back, and the test server's event-loop threads, taking its cluster lock request after
/// request, then starved the two cooperative threads of a test run for over a minute.
///
/// The API mirrors `Mutex`: the value goes in with `sending`, comes out only through `withLock`.
///
/// Guard a value with a size: `Locked(())` is reported by ThreadSanitizer as a race. An access to an empty
/// stored property is instrumented at the object's own address, where every `withLock` reads the class's
/// metadata before it locks (seen in `InferencerCache`, which now counts its builds under its build lock).
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ initialValue: consuming sending Value) {
        value = initialValue
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        defer { pthread_mutexattr_destroy(&attributes) }
        pthread_mutexattr_setprotocol(&attributes, Int32(PTHREAD_PRIO_INHERIT))
        let status = pthread_mutex_init(mutex, &attributes)
        precondition(status == 0, "pthread_mutex_init failed with \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Never call `withLock` on the same lock from inside
    /// `body`: the mutex is not recursive.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
