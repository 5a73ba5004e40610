/// A configuration problem, naming where it is: the file, the context and the field.
/// Its description is meant to be read by the person who has to fix the file.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kubeconfig file (or in-cluster directory) at fault, when there is one.
    public var file: String?
    public var context: String?
    /// Path of the bad field, e.g. `users[dev].user.client-key-data`.
    public var field: String?
    public var message: String

    public init(file: String? = nil, context: String? = nil, field: String? = nil, _ message: String) {
        self.file = file
        self.context = context
        self.field = field
        self.message = message
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append("kubeconfig \(file)") }
        if let context { parts.append("context \"\(context)\"") }
        if let field { parts.append("field \(field)") }
        return parts.isEmpty ? message : parts.joined(separator: ", ") + ": " + message
    }
}
