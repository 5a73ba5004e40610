import KubeCore

/// Polls `condition` until it holds or `timeout` passes, then looks once more. The timeout is a bound on a
/// test's wait, never a measurement. Each test target wraps it in its own `eventually` (with the default
/// its tests were written for, and, where a timeout should fail the test, an issue naming what it waited for).
public func waitUntil(
    timeout: Duration, poll: Duration = .milliseconds(50), _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: poll)
    }
    return try await condition()
}

/// What `withDeadline` throws when its body has not finished in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var what: String
    public var after: Duration
    public var description: String { "\(what): not done after \(after)" }
}

/// Returns `body`'s result, or throws `DeadlineExceeded` once `timeout` has passed, whether or not `body` heeds the
/// cancellation it then gets. A task group cannot bound a wait: it waits for all its children before it returns,
/// so a body that ignores cancellation (awaiting a task's value, say) would hold the test, and the test run, forever.
/// A body still running at the deadline is cancelled and left behind.
public func withDeadline<R: Sendable>(
    _ timeout: Duration = .seconds(90), _ what: String = "the awaited work", _ body: @escaping @Sendable () async throws -> R
) async throws -> R {
    let work = Task { try await body() }
    let first = FirstResult<R>()
    let result = await withTaskCancellationHandler {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<R, any Error>, Never>) in
            first.set(continuation)
            let timer = Task {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { first.resume(.failure(DeadlineExceeded(what: what, after: timeout))) }
            }
            Task {
                first.resume(await work.result)
                timer.cancel()
            }
        }
    } onCancel: {
        work.cancel()
    }
    if case .failure(let error) = result, error is DeadlineExceeded { work.cancel() }
    return try result.get()
}

/// The continuation of `withDeadline`, resumed by whichever comes first: the body's end or the deadline.
private final class FirstResult<R: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result<R, any Error>, Never>?
        var done = false
    }
    private let state = Locked(State())

    func set(_ continuation: CheckedContinuation<Result<R, any Error>, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    func resume(_ result: Result<R, any Error>) {
        let continuation = state.withLock { s -> CheckedContinuation<Result<R, any Error>, Never>? in
            guard !s.done else { return nil }
            s.done = true
            return s.continuation
        }
        continuation?.resume(returning: result)
    }
}
