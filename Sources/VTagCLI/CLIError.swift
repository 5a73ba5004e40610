/// A failure the person running the command can act on; ArgumentParser prints it as `Error: ...` and
/// exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
