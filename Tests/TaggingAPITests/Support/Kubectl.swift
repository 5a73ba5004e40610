import VTagTestSupport
import Foundation

/// The local kubectl binary, for `kubectl kustomize` (offline: it needs no cluster).
enum Kubectl {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Failed: Error, CustomStringConvertible { var description: String }

    /// `kubectl kustomize DIR` for a directory of the repository; throws with kubectl's message on failure.
    static func kustomize(_ directory: String) throws -> String {
        guard let path else { throw Failed(description: "kubectl is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["kustomize", RepoFiles.url(directory).path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read before waiting so a large output cannot fill the pipe and block kubectl.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "kubectl kustomize \(directory) failed: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
