import Foundation

// RFC 7386 JSON merge patch and RFC 6902 JSON patch on `JSONValue`.

extension JSONValue {
    /// RFC 7386: objects merge recursively, `null` deletes a key, anything else (arrays included) replaces.
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var target: [String: JSONValue]
        if case .object(let t) = self { target = t } else { target = [:] }
        for (k, v) in p {
            if v.isNull {
                target.removeValue(forKey: k)
            } else {
                target[k] = (target[k] ?? .null).applyingMergePatch(v)
            }
        }
        return .object(target)
    }

    /// RFC 7386 in reverse: the merge patch that turns `self` into `target` (`null` for removed keys).
    public func mergePatch(to target: JSONValue) -> JSONValue {
        guard case .object(let a) = self, case .object(let b) = target else { return target }
        var out: [String: JSONValue] = [:]
        for (k, _) in a where b[k] == nil { out[k] = .null }
        for (k, v) in b {
            if let old = a[k] {
                if old != v { out[k] = old.mergePatch(to: v) }
            } else {
                out[k] = v
            }
        }
        return .object(out)
    }
}

/// An RFC 6902 JSON patch: a list of operations applied in order, all or nothing.
public struct JSONPatch: Sendable, Hashable {
    public struct Operation: Sendable, Hashable {
        public var op: String
        public var path: String
        public var from: String?
        public var value: JSONValue?

        public init(op: String, path: String, from: String? = nil, value: JSONValue? = nil) {
            self.op = op
            self.path = path
            self.from = from
            self.value = value
        }
    }

    public var operations: [Operation]

    public init(_ operations: [Operation]) { self.operations = operations }

    /// Reads a patch document (`[{"op": ..., "path": ...}, ...]`).
    public init(_ document: JSONValue) throws(KubeCoreError) {
        guard case .array(let items) = document else { throw .patchMalformed("a JSON patch must be an array of operations") }
        var ops: [Operation] = []
        for item in items {
            guard case .object(let o) = item else { throw .patchMalformed("each operation must be an object") }
            guard let op = o["op"]?.stringValue else { throw .patchMalformed("operation without \"op\"") }
            guard let path = o["path"]?.stringValue else { throw .patchMalformed("operation \(op) without \"path\"") }
            switch op {
            case "add", "replace", "test":
                guard o["value"] != nil else { throw .patchMalformed("operation \(op) \(path) without \"value\"") }
            case "move", "copy":
                guard o["from"]?.stringValue != nil else { throw .patchMalformed("operation \(op) \(path) without \"from\"") }
            case "remove": break
            default: throw .patchMalformed("unknown operation \"\(op)\"")
            }
            ops.append(Operation(op: op, path: path, from: o["from"]?.stringValue, value: o["value"]))
        }
        operations = ops
    }

    /// Applies every operation to `document`; throws without partial effect if any fails.
    public func apply(to document: JSONValue) throws(KubeCoreError) -> JSONValue {
        var doc = document
        for op in operations {
            let path = try JSONPatch.pointer(op.path)
            switch op.op {
            case "add": try JSONPatch.add(&doc, path[...], op.value ?? .null, raw: op.path)
            case "remove": _ = try JSONPatch.remove(&doc, path[...], raw: op.path)
            case "replace":
                _ = try JSONPatch.remove(&doc, path[...], raw: op.path)
                try JSONPatch.add(&doc, path[...], op.value ?? .null, raw: op.path)
            case "test":
                guard let cur = JSONPatch.get(doc, path[...]), cur == (op.value ?? .null) else {
                    throw .patchTestFailed(path: op.path)
                }
            case "move":
                let from = try JSONPatch.pointer(op.from ?? "")
                let v = try JSONPatch.remove(&doc, from[...], raw: op.from ?? "")
                try JSONPatch.add(&doc, path[...], v, raw: op.path)
            case "copy":
                let from = try JSONPatch.pointer(op.from ?? "")
                guard let v = JSONPatch.get(doc, from[...]) else { throw .patchPathNotFound(op.from ?? "") }
                try JSONPatch.add(&doc, path[...], v, raw: op.path)
            default: throw .patchMalformed("unknown operation \"\(op.op)\"")
            }
        }
        return doc
    }

    /// Splits a JSON pointer ("/a/b~1c") into unescaped tokens.
    public static func pointer(_ s: String) throws(KubeCoreError) -> [String] {
        if s.isEmpty { return [] }
        guard s.hasPrefix("/") else { throw .patchInvalidPath(s) }
        return s.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    static func get(_ doc: JSONValue, _ path: ArraySlice<String>) -> JSONValue? {
        guard let first = path.first else { return doc }
        switch doc {
        case .object(let o): return o[first].flatMap { get($0, path.dropFirst()) }
        case .array(let a):
            guard let i = Int(first), i >= 0, i < a.count else { return nil }
            return get(a[i], path.dropFirst())
        default: return nil
        }
    }

    static func add(_ doc: inout JSONValue, _ path: ArraySlice<String>, _ value: JSONValue, raw: String) throws(KubeCoreError) {
        guard let first = path.first else { doc = value; return }
        let rest = path.dropFirst()
        switch doc {
        case .object(var o):
            if rest.isEmpty {
                o[first] = value
            } else {
                guard var child = o[first] else { throw .patchPathNotFound(raw) }
                try add(&child, rest, value, raw: raw)
                o[first] = child
            }
            doc = .object(o)
        case .array(var a):
            if rest.isEmpty {
                if first == "-" { a.append(value) } else {
                    guard let i = Int(first), i >= 0, i <= a.count else { throw .patchInvalidPath(raw) }
                    a.insert(value, at: i)
                }
            } else {
                guard let i = Int(first), i >= 0, i < a.count else { throw .patchPathNotFound(raw) }
                try add(&a[i], rest, value, raw: raw)
            }
            doc = .array(a)
        default:
            throw .patchPathNotFound(raw)
        }
    }

    static func remove(_ doc: inout JSONValue, _ path: ArraySlice<String>, raw: String) throws(KubeCoreError) -> JSONValue {
        guard let first = path.first else { throw .patchInvalidPath(raw) }
        let rest = path.dropFirst()
        switch doc {
        case .object(var o):
            guard var child = o[first] else { throw .patchPathNotFound(raw) }
            let removed: JSONValue
            if rest.isEmpty {
                removed = child
                o.removeValue(forKey: first)
            } else {
                removed = try remove(&child, rest, raw: raw)
                o[first] = child
            }
            doc = .object(o)
            return removed
        case .array(var a):
            guard let i = Int(first), i >= 0, i < a.count else { throw .patchPathNotFound(raw) }
            let removed: JSONValue
            if rest.isEmpty {
                removed = a.remove(at: i)
            } else {
                removed = try remove(&a[i], rest, raw: raw)
            }
            doc = .array(a)
            return removed
        default:
            throw .patchPathNotFound(raw)
        }
    }
}
