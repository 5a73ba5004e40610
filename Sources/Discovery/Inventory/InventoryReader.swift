import Foundation
import TaggingAPI

/// Reads inventory files (CSV or JSON, README.md "Offline plan and evaluation") from memory or disk.
public enum InventoryReader {
    /// Bytes read per chunk when streaming a CSV file from disk.
    static let chunkSize = 1 << 20

    /// The format of `data`: JSON when its first non-blank character opens an array, else CSV.
    public static func sniff(_ data: Data) -> InventoryFormat {
        for b in data.prefix(4096) {
            switch b {
            case 0xEF, 0xBB, 0xBF, UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): continue
            case UInt8(ascii: "["): return .json
            default: return .csv
            }
        }
        return .csv
    }

    /// The format a file name implies (`.csv`, `.json`), if any.
    public static func format(ofPath path: String) -> InventoryFormat? {
        let lower = path.lowercased()
        if lower.hasSuffix(".csv") { return .csv }
        if lower.hasSuffix(".json") { return .json }
        return nil
    }

    /// Reads an inventory held in memory (e.g. a ConfigMap key). `source` names it in messages.
    public static func read(_ data: Data, format: InventoryFormat? = nil, source: String) throws(DiscoveryError) -> InventoryReadResult {
        switch format ?? sniff(data) {
        case .json:
            return try InventoryJSONReader.read(data, source: source)
        case .csv:
            var reader = InventoryCSVReader(source: source)
            try reader.feed(data)
            try reader.finish()
            return reader.take()
        }
    }

    public static func read(_ text: String, format: InventoryFormat? = nil, source: String) throws(DiscoveryError) -> InventoryReadResult {
        try read(Data(text.utf8), format: format, source: source)
    }

    /// Reads an inventory file. CSV is streamed in chunks, so only the rows are held, not the file.
    public static func read(path: String, format: InventoryFormat? = nil) throws(DiscoveryError) -> InventoryReadResult {
        var all = InventoryReadResult()
        try read(path: path, format: format) { page in
            all.records += page.records
            all.problems += page.problems
        }
        return all
    }

    /// Streams an inventory file page by page (`onPage` gets the rows and problems of each chunk read).
    public static func read(
        path: String, format: InventoryFormat? = nil, onPage: (InventoryReadResult) throws(DiscoveryError) -> Void
    ) throws(DiscoveryError) {
        try read(path: path, format: format, chunkSize: chunkSize, onPage: onPage)
    }

    static func read(
        path: String, format: InventoryFormat?, chunkSize: Int, onPage: (InventoryReadResult) throws(DiscoveryError) -> Void
    ) throws(DiscoveryError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .inventoryUnreadable(source: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .inventoryUnreadable(source: path, reason: "it is a directory, not a file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw .inventoryUnreadable(source: path, reason: "permission denied or not a regular file")
        }
        defer { try? handle.close() }
        func chunk() throws(DiscoveryError) -> Data? {
            do {
                let d = try handle.read(upToCount: chunkSize)
                return d?.isEmpty == false ? d : nil
            } catch {
                throw .inventoryUnreadable(source: path, reason: "\(error.localizedDescription)")
            }
        }
        let first = try chunk() ?? Data()
        let chosen = format ?? self.format(ofPath: path) ?? sniff(first)
        switch chosen {
        case .json:
            var data = first
            while let more = try chunk() { data.append(more) }
            try onPage(try InventoryJSONReader.read(data, source: path))
        case .csv:
            var reader = InventoryCSVReader(source: path)
            var next: Data? = first
            while let data = next {
                try reader.feed(data)
                try onPage(reader.take())
                next = try chunk()
            }
            try reader.finish()
            try onPage(reader.take())
        }
    }
}
