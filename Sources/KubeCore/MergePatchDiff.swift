extension JSONValue {
    /// The RFC 7386 merge patch that turns `old` into `new`, or nil when they are equal.
    /// Removed object keys become `null`; arrays and scalars are replaced whole (as merge patch
    /// semantics require). Used to write only what changed.
    public static func mergePatch(from old: JSONValue?, to new: JSONValue) -> JSONValue? {
        guard case .object(let newObject) = new, case .object(let oldObject)? = old else {
            return old == new ? nil : new
        }
        var patch: [String: JSONValue] = [:]
        for (key, value) in newObject {
            if let p = mergePatch(from: oldObject[key], to: value) { patch[key] = p }
        }
        for key in oldObject.keys where newObject[key] == nil { patch[key] = .null }
        return patch.isEmpty ? nil : .object(patch)
    }
}
