/// A failure of the test server itself (set-up, certificates, files), with what to do about it: the one
/// error type of the module (docs/ARCHITECTURE.md, "Errors"). What the server answers to requests is not
/// this but `APIError`, the API server's Status as it goes on the wire.
public struct TestServerError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
