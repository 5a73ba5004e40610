/// Writes inventories in the format the readers accept: CSV with the fixed columns then one
/// `tag:KEY` column per key (RFC 4180 quoting where needed), or a JSON array of objects.
public struct InventoryWriter: Sendable {
    public enum LineEnding: String, Sendable { case lf = "\n", crlf = "\r\n" }

    /// The tag keys, in column order.
    public let tagKeys: [String]
    public let lineEnding: LineEnding

    /// A writer for rows whose tags are among `tagKeys` (other keys are not written: pass the
    /// union, e.g. from `tagKeys(of:)`, to keep everything).
    public init(tagKeys: [String], lineEnding: LineEnding = .lf) {
        self.tagKeys = tagKeys
        self.lineEnding = lineEnding
    }

    /// Every tag key used by `records`, sorted.
    public static func tagKeys(of records: some Sequence<InventoryRecord>) -> [String] {
        var keys = Set<String>()
        for r in records { keys.formUnion(r.tags.keys) }
        return keys.sorted()
    }

    // MARK: CSV

    public var csvHeader: String {
        (InventoryRecord.columns + tagKeys.map { InventoryRecord.tagColumnPrefix + $0 }).map(Self.csvField).joined(separator: ",")
            + lineEnding.rawValue
    }

    public func csvRow(_ r: InventoryRecord) -> String {
        var out = ""
        out.reserveCapacity(128 + tagKeys.count * 16)
        let fixed = [r.provider, r.id, r.type, r.name ?? "", r.account ?? "", r.region ?? ""]
        for (i, f) in fixed.enumerated() {
            if i > 0 { out += "," }
            out += Self.csvField(f)
        }
        for k in tagKeys {
            out += ","
            if let v = r.tags[k] { out += Self.csvField(v) }
        }
        out += lineEnding.rawValue
        return out
    }

    /// A whole CSV document, with a column for every tag key the records use.
    public static func csv(_ records: [InventoryRecord], lineEnding: LineEnding = .lf) -> String {
        let w = InventoryWriter(tagKeys: tagKeys(of: records), lineEnding: lineEnding)
        var out = w.csvHeader
        for r in records { out += w.csvRow(r) }
        return out
    }

    /// A field as RFC 4180 wants it: quoted when it holds a comma, a quote or a line break (and
    /// when it has leading or trailing spaces, which some readers would trim), quotes doubled.
    public static func csvField(_ s: String) -> String {
        var needsQuotes = false
        for u in s.utf8 where u == UInt8(ascii: ",") || u == UInt8(ascii: "\"") || u == UInt8(ascii: "\n") || u == UInt8(ascii: "\r") {
            needsQuotes = true
            break
        }
        if !needsQuotes, let f = s.utf8.first, let l = s.utf8.last, f == UInt8(ascii: " ") || l == UInt8(ascii: " ") {
            needsQuotes = true
        }
        guard needsQuotes else { return s }
        var out = "\""
        for c in s.unicodeScalars {
            if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
        }
        return out + "\""
    }

    // MARK: JSON

    /// One JSON object per line inside an array, keys in a fixed order, so files diff well.
    public static func json(_ records: [InventoryRecord]) -> String {
        var out = "["
        for (i, r) in records.enumerated() {
            out += i == 0 ? "\n  " : ",\n  "
            out += jsonObject(r)
        }
        return out + (records.isEmpty ? "]\n" : "\n]\n")
    }

    public static func jsonObject(_ r: InventoryRecord) -> String {
        var out = "{"
        func field(_ k: String, _ v: String?) {
            guard let v else { return }
            if out.count > 1 { out += ", " }
            out += jsonString(k) + ": " + jsonString(v)
        }
        field("provider", r.provider)
        field("id", r.id)
        field("type", r.type)
        field("name", r.name)
        field("account", r.account)
        field("region", r.region)
        out += ", \"tags\": {"
        for (i, k) in r.tags.keys.sorted().enumerated() {
            if i > 0 { out += ", " }
            out += jsonString(k) + ": " + jsonString(r.tags[k]!)
        }
        return out + "}}"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where c.value < 0x20:
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }
}
