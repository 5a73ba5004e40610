import Foundation

/// Reads an inventory CSV incrementally: feed bytes in chunks, take the good rows and the problems
/// as they come. The header names the columns (fixed ones in any order, case-insensitive; then
/// `tag:KEY` columns). A row is left out, and reported with its line, when it is malformed, has
/// the wrong number of fields, lacks provider, id or type, or repeats an id already seen.
public struct InventoryCSVReader: Sendable {
    public let source: String
    private var tokenizer = CSVTokenizer()
    private var header: Header?
    /// "provider␟id" -> line first seen, to report duplicates.
    private var seen: [String: Int] = [:]
    private var result = InventoryReadResult()

    private struct Header: Sendable {
        var count: Int
        var provider: Int, id: Int, type: Int
        var name: Int?, account: Int?, region: Int?
        /// (column, tag key)
        var tags: [(Int, String)]
    }

    public init(source: String) { self.source = source }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(DiscoveryError) {
        var batch: [CSVRecord] = []
        tokenizer.feed(bytes) { batch.append($0) }
        for r in batch { try handle(r) }
    }

    public mutating func feed(_ bytes: some ContiguousBytes) throws(DiscoveryError) {
        var batch: [CSVRecord] = []
        bytes.withUnsafeBytes { tokenizer.feed($0) { batch.append($0) } }
        for r in batch { try handle(r) }
    }

    /// Ends the input. An input without even a header is an error.
    public mutating func finish() throws(DiscoveryError) {
        var batch: [CSVRecord] = []
        tokenizer.finish { batch.append($0) }
        for r in batch { try handle(r) }
        if header == nil { throw .inventoryBadHeader(source: source, reason: "the file is empty") }
    }

    /// Hands over the rows and problems read so far (for paging through a large file).
    public mutating func take() -> InventoryReadResult {
        defer { result = InventoryReadResult() }
        return result
    }

    private mutating func handle(_ r: CSVRecord) throws(DiscoveryError) {
        guard let h = header else {
            header = try parseHeader(r)
            return
        }
        func problem(_ reason: String) { result.problems.append(InventoryProblem(source: source, line: r.line, reason: reason)) }
        if let e = r.error { return problem(e) }
        guard r.fields.count == h.count else {
            return problem("has \(r.fields.count) fields, the header has \(h.count)")
        }
        let f = r.fields
        func required(_ i: Int, _ what: String) -> String? {
            f[i].allSatisfy(\.isWhitespace) ? nil : f[i]
        }
        guard let provider = required(h.provider, "provider") else { return problem("missing provider") }
        guard let id = required(h.id, "id") else { return problem("missing id") }
        guard let type = required(h.type, "type") else { return problem("missing type") }
        let key = "\(provider)\u{1F}\(id)"
        if let first = seen[key] { return problem("duplicate id \(id) (first on line \(first)); this row is ignored") }
        seen[key] = r.line
        func optional(_ i: Int?) -> String? { i.flatMap { f[$0].isEmpty ? nil : f[$0] } }
        var tags: [String: String] = [:]
        for (i, k) in h.tags where !f[i].isEmpty { tags[k] = f[i] }
        result.records.append(InventoryRecord(
            provider: provider, id: id, type: type, name: optional(h.name), account: optional(h.account),
            region: optional(h.region), tags: tags))
    }

    private mutating func parseHeader(_ r: CSVRecord) throws(DiscoveryError) -> Header {
        if let e = r.error { throw .inventoryBadHeader(source: source, reason: e) }
        var fixed: [String: Int] = [:]
        var tags: [(Int, String)] = []
        var tagKeys = Set<String>()
        for (i, raw) in r.fields.enumerated() {
            let column = raw.trimmingSpaces
            let lower = column.lowercased()
            if lower.hasPrefix(InventoryRecord.tagColumnPrefix) {
                let key = String(column.dropFirst(InventoryRecord.tagColumnPrefix.count)).trimmingSpaces
                guard !key.isEmpty else { throw .inventoryBadHeader(source: source, reason: "column \(i + 1) is `tag:` without a key") }
                guard tagKeys.insert(key).inserted else {
                    throw .inventoryBadHeader(source: source, reason: "tag column \(column) appears twice")
                }
                tags.append((i, key))
            } else if InventoryRecord.columns.contains(lower) {
                guard fixed[lower] == nil else { throw .inventoryBadHeader(source: source, reason: "column \(lower) appears twice") }
                fixed[lower] = i
            } else {
                result.problems.append(InventoryProblem(
                    source: source, line: r.line,
                    reason: "column \(i + 1) `\(column)` is neither one of \(InventoryRecord.columns.joined(separator: ",")) nor tag:KEY; its values are ignored"))
            }
        }
        let missing = ["provider", "id", "type"].filter { fixed[$0] == nil }
        guard missing.isEmpty else {
            throw .inventoryBadHeader(source: source, reason: "no \(missing.joined(separator: ", ")) column")
        }
        return Header(
            count: r.fields.count, provider: fixed["provider"]!, id: fixed["id"]!, type: fixed["type"]!,
            name: fixed["name"], account: fixed["account"], region: fixed["region"], tags: tags)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
