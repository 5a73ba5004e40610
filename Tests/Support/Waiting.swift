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
