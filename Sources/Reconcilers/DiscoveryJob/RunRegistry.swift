import K8sClient

/// The discovery runs in flight in this process, one per job at most: the in-process half of
/// "never two runs of one job at once" (status.activeRun is the durable half).
actor RunRegistry {
    private var tasks: [ObjectKey: Task<Void, Never>] = [:]

    func isRunning(_ key: ObjectKey) -> Bool { tasks[key] != nil }

    /// Whether any run is in flight (the first model waits for it: `ModelLifecycle.run`).
    var anyRunning: Bool { !tasks.isEmpty }

    /// Starts `body` unless a run of `key` is already in flight. Returns whether it started.
    @discardableResult
    func start(_ key: ObjectKey, _ body: @escaping @Sendable () async -> Void) -> Bool {
        guard tasks[key] == nil else { return false }
        tasks[key] = Task {
            await body()
            self.finished(key)
        }
        return true
    }

    func cancel(_ key: ObjectKey) {
        tasks[key]?.cancel()
        tasks[key] = nil
    }

    func cancelAll() {
        for task in tasks.values { task.cancel() }
        tasks.removeAll()
    }

    /// Waits for every run in flight (used at shutdown and in tests).
    func waitAll() async {
        while let task = tasks.values.first {
            await task.value
        }
    }

    private func finished(_ key: ObjectKey) { tasks[key] = nil }
}
