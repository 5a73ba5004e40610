import Foundation

/// The environment commands read (AWS credentials for `plan --job`). A task-local so tests give a
/// command its own variables without changing the test process's.
enum ProcessEnvironment {
    @TaskLocal static var current: [String: String] = ProcessInfo.processInfo.environment
}
