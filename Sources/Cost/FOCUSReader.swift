import Discovery
import Foundation

/// Reads FOCUS (FinOps Open Cost and Usage Specification) exports, 1.0 and later: CSV with a header
/// row, plain or gzip-compressed (told by the content, not the name). Streamed in chunks, so memory
/// stays bounded whatever the file's size; each usable row goes to a callback as it is read.
public enum FOCUSReader {
    static let chunkSize = 1 << 20
    /// Problems kept with their text; the rest are only counted.
    public static let problemsKept = 50

    /// What reading one file came to.
    public struct Summary: Sendable {
        public var file: String
        /// Data rows read (usable or not).
        public var rows = 0
        /// Rows that could not be used, each with its line and reason (the first `problemsKept`).
        public var problems: [FOCUSProblem] = []
        public var problemCount = 0
        public var compressed = false
    }

    /// Streams the charges of the file at `path` to `onCharge`, in file order.
    public static func read(
        path: String, costColumn: FOCUSCostColumn = .effectiveCost, onCharge: (FOCUSCharge) -> Void
    ) throws(CostError) -> Summary {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CostError.unreadableFOCUS(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw CostError.unreadableFOCUS(file: path, reason: "it is a directory, not a FOCUS file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CostError.unreadableFOCUS(file: path, reason: "permission denied or not a regular file")
        }
        defer { try? handle.close() }
        func chunk() throws(CostError) -> Data? {
            do {
                let d = try handle.read(upToCount: chunkSize)
                return d?.isEmpty == false ? d : nil
            } catch {
                throw CostError.unreadableFOCUS(file: path, reason: error.localizedDescription)
            }
        }

        var rows = RowReader(file: path, costColumn: costColumn)
        var tokenizer = CSVTokenizer()
        var next = try chunk()
        let inflater: GzipInflater?
        if let first = next, first.starts(with: GzipInflater.magic) {
            do { inflater = try GzipInflater() } catch { throw CostError.unreadableFOCUS(file: path, reason: error.reason) }
        } else {
            inflater = nil
        }
        while let data = next {
            if let inflater {
                do {
                    try inflater.feed(data) { bytes in tokenizer.feed(bytes) { rows.take($0, onCharge) } }
                } catch {
                    throw CostError.unreadableFOCUS(file: path, reason: "line \(rows.lastLine): " + error.reason)
                }
            } else {
                data.withUnsafeBytes { bytes in tokenizer.feed(bytes) { rows.take($0, onCharge) } }
            }
            if let failure = rows.failure { throw failure }
            next = try chunk()
        }
        do { try inflater?.finish() } catch { throw CostError.unreadableFOCUS(file: path, reason: error.reason) }
        tokenizer.finish { rows.take($0, onCharge) }
        if let failure = rows.failure { throw failure }
        guard rows.columns != nil else { throw CostError.unreadableFOCUS(file: path, reason: "the file is empty (a FOCUS export starts with a header row)") }
        rows.summary.compressed = inflater != nil
        return rows.summary
    }

    /// Turns CSV records into charges: the first record is the header.
    struct RowReader {
        struct Columns {
            var count: Int
            var resourceId: Int
            var cost: Int
            var chargePeriodStart: Int
            var providerName: Int?
            var serviceProviderName: Int?
            var currency: Int?
        }

        let file: String
        let costColumn: FOCUSCostColumn
        var columns: Columns?
        var summary: Summary
        /// A header that is not FOCUS: reading stops with it.
        var failure: CostError?
        var lastLine = 1

        init(file: String, costColumn: FOCUSCostColumn) {
            self.file = file
            self.costColumn = costColumn
            summary = Summary(file: file)
        }

        mutating func take(_ record: CSVRecord, _ onCharge: (FOCUSCharge) -> Void) {
            lastLine = record.line
            guard failure == nil else { return }
            guard let columns else {
                header(record)
                return
            }
            summary.rows += 1
            if let error = record.error { return problem(record.line, error) }
            let f = record.fields
            guard f.count == columns.count else {
                return problem(record.line, "\(f.count) fields, but the header has \(columns.count) columns")
            }
            guard let costText = FOCUSValues.nonNull(f[columns.cost]) else {
                return problem(record.line, "\(costColumn.rawValue) is empty (FOCUS does not allow a null cost)")
            }
            guard let cost = FOCUSValues.amount(costText) else {
                return problem(record.line, "\(costColumn.rawValue) \"\(costText.prefix(40))\" is not a number")
            }
            guard let month = FOCUSValues.month(f[columns.chargePeriodStart]) else {
                return problem(record.line, "ChargePeriodStart \"\(f[columns.chargePeriodStart].prefix(40))\" is not a date (YYYY-MM-DDTHH:mm:ssZ)")
            }
            let provider = columns.serviceProviderName.flatMap { FOCUSValues.nonNull(f[$0]) }
                ?? columns.providerName.flatMap { FOCUSValues.nonNull(f[$0]) }
            onCharge(FOCUSCharge(
                line: record.line, resourceId: FOCUSValues.nonNull(f[columns.resourceId]), providerName: provider,
                cost: cost, month: month, currency: columns.currency.flatMap { FOCUSValues.nonNull(f[$0]) }))
        }

        mutating func header(_ record: CSVRecord) {
            var index: [String: Int] = [:]
            for (i, name) in record.fields.enumerated() {
                let key = name.trimmingCharacters(in: .whitespaces).lowercased()
                if index[key] == nil { index[key] = i }
            }
            func column(_ name: String) -> Int? { index[name.lowercased()] }
            let required = ["ResourceId", costColumn.rawValue, "ChargePeriodStart"]
            let missing = required.filter { column($0) == nil }
            guard missing.isEmpty, record.error == nil else {
                let seen = record.fields.prefix(8).joined(separator: ", ") + (record.fields.count > 8 ? ", ..." : "")
                failure = CostError.unreadableFOCUS(
                    file: file,
                    reason: "not a FOCUS export: the header row has no \(missing.joined(separator: ", ")) column (it has \(seen)); FOCUS 1.0 and later name them ResourceId, \(costColumn.rawValue), ChargePeriodStart")
                return
            }
            columns = Columns(
                count: record.fields.count, resourceId: column("ResourceId")!, cost: column(costColumn.rawValue)!,
                chargePeriodStart: column("ChargePeriodStart")!, providerName: column("ProviderName"),
                serviceProviderName: column("ServiceProviderName"), currency: column("BillingCurrency"))
        }

        mutating func problem(_ line: Int, _ reason: String) {
            summary.problemCount += 1
            if summary.problems.count < problemsKept { summary.problems.append(FOCUSProblem(file: file, line: line, reason: reason)) }
        }
    }
}
