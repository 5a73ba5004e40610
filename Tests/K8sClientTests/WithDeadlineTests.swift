// The tests' bound on a wait (VTagTestSupport's withDeadline) holds even for work that ignores its cancellation:
// the promise every "bounded" wait in these suites rests on.
import Testing
import VTagTestSupport

@Suite struct WithDeadlineTests {
    @Test func returnsTheBodysResultWhenItEndsInTime() async throws {
        let answer = try await withDeadline(.seconds(60)) { 42 }
        #expect(answer == 42)
    }

    @Test func throwsAtTheDeadlineWhileTheBodyIgnoresItsCancellation() async throws {
        // Awaiting another task's value does not end when the waiter is cancelled: a task group would wait here
        // until the sleeper is done.
        let sleeper = Task { try? await Task.sleep(for: .seconds(120)) }
        defer { sleeper.cancel() }
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(200), "the sleeper") { await sleeper.value }
        }
        #expect(!sleeper.isCancelled, "the body's own task is cancelled, not what it waits for")
    }

    @Test func passesOnTheBodysError() async throws {
        struct Refused: Error {}
        let bound: Duration = .seconds(60)
        await #expect(throws: Refused.self) { try await withDeadline(bound) { throw Refused() } }
    }
}
