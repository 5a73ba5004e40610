/// Every failure of `kubectl-vtag`: one type for the module (docs/ARCHITECTURE.md, "Errors"), worded for
/// the person running the command. ArgumentParser prints it as `Error: ...` and exits with status 1.
enum CLIError: Error, Sendable, CustomStringConvertible {
    /// A command that cannot finish; the message says why and what to do.
    case failed(String)
    /// A manifest that cannot be used, naming the file and the line its document starts on.
    case manifest(file: String, line: Int? = nil, message: String)

    init(_ message: String) { self = .failed(message) }

    var description: String {
        switch self {
        case .failed(let message): message
        case .manifest(let file, let line, let message): "\(file)\(line.map { " line \($0)" } ?? ""): \(message)"
        }
    }
}
