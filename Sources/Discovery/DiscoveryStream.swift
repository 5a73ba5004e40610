/// A provider's event stream, fed by `body` in a task of its own; a consumer that stops listening
/// cancels the task, and an error `body` throws ends the stream with it.
func discoveryStream(
    _ body: @escaping @Sendable (AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation) async throws -> Void
) -> AsyncThrowingStream<DiscoveryEvent, any Error> {
    AsyncThrowingStream { continuation in
        let task = Task {
            do {
                try await body(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
    }
}
