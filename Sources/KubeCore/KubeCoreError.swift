/// Every failure of the API machinery values: one type for the module (docs/ARCHITECTURE.md, "Errors").
/// The texts read like the API server's own (the test server answers with them), and say what is wrong
/// and where.
public enum KubeCoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// JSON that does not parse, at byte `offset`; the message reads like the Go decoder's
    /// (e.g. "invalid character 'n' looking for beginning of object key string").
    case invalidJSON(offset: Int, message: String)
    /// A label or field selector that does not parse, in the API server's words.
    case invalidSelector(String)
    /// An RFC 6902 patch that is not an array of operations, or an operation that lacks a member.
    case patchMalformed(String)
    /// A patch's `test` operation found a different value at `path`.
    case patchTestFailed(path: String)
    /// A patch path names a location that does not exist.
    case patchPathNotFound(String)
    /// A patch path is not a valid JSON pointer, or indexes something that is not a container.
    case patchInvalidPath(String)
    /// A Go duration string ("90s", "1h30m") that does not parse.
    case invalidDuration(input: String)

    public var description: String {
        switch self {
        case .invalidJSON(_, let message), .invalidSelector(let message): message
        case .patchMalformed(let m): "malformed JSON patch: \(m)"
        case .patchTestFailed(let p): "testing value \(p) failed: test failed"
        case .patchPathNotFound(let p): "doc is missing path: \"\(p)\": missing value"
        case .patchInvalidPath(let p): "invalid JSON pointer or index: \"\(p)\""
        case .invalidDuration(let input):
            "invalid duration \"\(input)\": use a number with a unit, e.g. 90s, 15m, 24h or 1h30m (units: ns, us, ms, s, m, h)"
        }
    }
}
