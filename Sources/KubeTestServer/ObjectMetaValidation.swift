import Foundation
import KubeCore

/// ObjectMeta validation every write goes through (apimachinery's ValidateObjectMeta): names, generateName,
/// label keys and values, annotation keys and total size, owner references, finalizers. One cause per problem,
/// with the real server's fields and words.
extension Cluster {
    static let maxAnnotationBytes = 262_144
    /// Finalizers Kubernetes itself uses without a domain (no warning for them).
    static let standardFinalizers: Set<String> = ["kubernetes", "orphan", "foregroundDeletion"]

    struct MetaCheck {
        var causes: [StatusResponse.Cause] = []
        var warnings: [String] = []
    }

    static func validateObjectMeta(_ o: JSONValue, _ c: RequestContext, isCreate: Bool) -> MetaCheck {
        var out = MetaCheck()
        func invalid(_ field: String, _ value: String, _ message: String) {
            out.causes.append(.init(reason: "FieldValueInvalid", message: "Invalid value: \(q(value)): \(message)", field: field))
        }
        let meta = o["metadata"]?.objectValue ?? [:]
        let isNamespace = c.type.key == "/namespaces"
        if isCreate {
            let name = meta["name"]?.stringValue ?? ""
            if let gen = meta["generateName"]?.stringValue, !gen.isEmpty {
                // A generateName is checked as a name prefix: a trailing '-' is fine.
                let masked = gen.hasSuffix("-") ? String(gen.dropLast()) + "a" : gen
                if let p = nameProblem(masked, label: isNamespace) { invalid("metadata.generateName", gen, p) }
            }
            if name.isEmpty {
                out.causes.append(.init(reason: "FieldValueRequired", message: "Required value: name or generateName is required", field: "metadata.name"))
            } else if let p = nameProblem(name, label: isNamespace) {
                invalid("metadata.name", name, p)
            }
        }
        for (k, v) in (meta["labels"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for p in qualifiedNameProblems(k) { invalid("metadata.labels", k, p) }
            let value = v.stringValue ?? ""
            if let p = labelValueProblem(value) { invalid("metadata.labels", value, p) }
        }
        var annotationBytes = 0
        for (k, v) in (meta["annotations"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            for p in qualifiedNameProblems(k.lowercased()) { invalid("metadata.annotations", k, p) }
            annotationBytes += k.utf8.count + (v.stringValue?.utf8.count ?? 0)
        }
        if annotationBytes > maxAnnotationBytes {
            out.causes.append(.init(reason: "FieldValueTooLong", message: "Too long: may not be more than \(maxAnnotationBytes) bytes", field: "metadata.annotations"))
        }
        let refs = meta["ownerReferences"]?.arrayValue ?? []
        for ref in refs {
            if (ref["apiVersion"]?.stringValue ?? "").isEmpty { invalid("metadata.ownerReferences.apiVersion", "", "version must not be empty") }
            if (ref["kind"]?.stringValue ?? "").isEmpty { invalid("metadata.ownerReferences.kind", "", "must not be empty") }
            if (ref["name"]?.stringValue ?? "").isEmpty { invalid("metadata.ownerReferences.name", "", "must not be empty") }
            if (ref["uid"]?.stringValue ?? "").isEmpty { invalid("metadata.ownerReferences.uid", "", "must not be empty") }
        }
        let controllers = refs.filter { $0["controller"]?.boolValue == true }
        if controllers.count > 1 {
            let names = controllers.map { "\($0["kind"]?.stringValue ?? "")/\($0["name"]?.stringValue ?? "")" }
            out.causes.append(.init(
                reason: "FieldValueInvalid",
                message: "Invalid value: \(goOwnerReferences(refs)): Only one reference can have Controller set to true. Found \"true\" in references for \(names.joined(separator: " and "))",
                field: "metadata.ownerReferences"))
        }
        for f in (meta["finalizers"]?.arrayValue ?? []).compactMap(\.stringValue) {
            let problems = qualifiedNameProblems(f)
            for p in problems { invalid("metadata.finalizers", f, p) }
            if problems.isEmpty, !f.contains("/"), !standardFinalizers.contains(f) {
                out.warnings.append("metadata.finalizers: \(q(f)): prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers")
            }
        }
        return out
    }

    /// Owner references as Go's encoding/json writes them (struct field order, omitted empty pointers).
    static func goOwnerReferences(_ refs: [JSONValue]) -> String {
        let parts = refs.map { r -> String in
            var fields: [String] = []
            for k in ["apiVersion", "kind", "name", "uid"] { fields.append("\(q(k)):\(q(r[k]?.stringValue ?? ""))") }
            for k in ["controller", "blockOwnerDeletion"] {
                if let b = r[k]?.boolValue { fields.append("\(q(k)):\(b)") }
            }
            return "{" + fields.joined(separator: ",") + "}"
        }
        return "[" + parts.joined(separator: ",") + "]"
    }

    static let qualifiedNameRule = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"

    /// Label keys, annotation keys and finalizers: `[prefix/]name`, the prefix a DNS subdomain.
    static func qualifiedNameProblems(_ s: String) -> [String] {
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var problems: [String] = []
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            name = parts[1]
            if parts[0].isEmpty {
                problems.append("prefix part must be non-empty")
            } else if let p = nameProblem(parts[0], label: false) {
                problems.append("prefix part \(p)")
            }
        default:
            return ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
        }
        if name.isEmpty {
            problems.append("name part must be non-empty")
        } else if name.utf8.count > 63 {
            problems.append("name part must be no more than 63 bytes")
        } else if !isLabelLike(name) {
            problems.append(qualifiedNameRule)
        }
        return problems
    }

    static func labelValueProblem(_ v: String) -> String? {
        if v.utf8.count > 63 { return "must be no more than 63 bytes" }
        if v.isEmpty || isLabelLike(v) { return nil }
        return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isLabelLike(_ s: String) -> Bool {
        let u = Array(s.utf8)
        func alnum(_ c: UInt8) -> Bool { (48...57).contains(c) || (65...90).contains(c) || (97...122).contains(c) }
        guard let first = u.first, let last = u.last, alnum(first), alnum(last) else { return false }
        return u.allSatisfy { alnum($0) || $0 == 45 || $0 == 95 || $0 == 46 }
    }
}
