/// One CSV record as read: its fields, the line it started on, and what was wrong with it, if
/// anything (the fields are then unreliable and the record is reported, not used).
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
    public var error: String?
}

/// An incremental RFC 4180 tokenizer: feed it bytes in chunks of any size, it hands out records.
/// Quoted fields may hold commas, doubled quotes and line breaks; records end with LF, CRLF or a
/// lone CR; a UTF-8 byte order mark is skipped; blank lines are skipped. A quote inside an
/// unquoted field, text after a closing quote, an unterminated quoted field or invalid UTF-8
/// marks the record bad and reading goes on with the next one.
public struct CSVTokenizer: Sendable {
    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    private var quotedField = false
    private var error: String?
    /// Physical line (1-based) the next byte is on, and the line the current record began on.
    private var line = 1
    private var recordLine = 1
    private var afterCR = false
    private var atStart = true
    private var bomBytesSeen = 0

    public init() { field.reserveCapacity(64) }

    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ emit: (CSVRecord) -> Void) {
        var i = bytes.startIndex
        // A byte order mark only counts at the very start of the input (it may straddle chunks).
        while atStart && i < bytes.endIndex {
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            if bytes[i] == bom[bomBytesSeen] {
                bomBytesSeen += 1
                i += 1
                if bomBytesSeen == 3 { atStart = false }
            } else {
                // Not a BOM after all: the bytes taken so far were content.
                field.append(contentsOf: bom.prefix(bomBytesSeen))
                if bomBytesSeen > 0 { state = .unquoted }
                atStart = false
            }
        }
        while i < bytes.endIndex {
            let b = bytes[i]
            i += 1
            if afterCR {
                afterCR = false
                if b == UInt8(ascii: "\n") { continue }  // the LF of a CRLF
            }
            switch state {
            case .fieldStart:
                switch b {
                case UInt8(ascii: "\""): state = .quoted; quotedField = true
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"): endRecord(b, emit)
                default: field.append(b); state = .unquoted
                }
            case .unquoted:
                switch b {
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"): endRecord(b, emit)
                case UInt8(ascii: "\""):
                    fail("a quote inside an unquoted field \(fields.count + 1) (quote the whole field and double the quote)")
                    field.append(b)
                default: field.append(b)
                }
            case .quoted:
                if b == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
            case .quoteInQuoted:
                switch b {
                case UInt8(ascii: "\""): field.append(b); state = .quoted  // "" is a quote
                case UInt8(ascii: ","): endField()
                case UInt8(ascii: "\n"), UInt8(ascii: "\r"): endRecord(b, emit)
                default:
                    fail("text after the closing quote of field \(fields.count + 1)")
                    field.append(b)
                    state = .unquoted
                }
            }
        }
    }

    /// Ends the input: a last record without a line break is still a record.
    public mutating func finish(_ emit: (CSVRecord) -> Void) {
        if atStart && bomBytesSeen > 0 {
            field.append(contentsOf: [0xEF, 0xBB, 0xBF].prefix(bomBytesSeen))
            state = .unquoted
        }
        atStart = false
        if state == .quoted {
            fail("a quoted field \(fields.count + 1) is never closed (a missing quote swallowed the rest of the file)")
        }
        if state != .fieldStart || !fields.isEmpty || !field.isEmpty {
            endField()
            emitRecord(emit)
        }
    }

    private mutating func fail(_ reason: String) {
        if error == nil { error = reason }
    }

    private mutating func endField() {
        if let s = String(validating: field, as: UTF8.self) {
            fields.append(s)
        } else {
            fail("field \(fields.count + 1) is not valid UTF-8")
            fields.append(String(decoding: field, as: UTF8.self))
        }
        field.removeAll(keepingCapacity: true)
        quotedField = false
        state = .fieldStart
    }

    private mutating func endRecord(_ terminator: UInt8, _ emit: (CSVRecord) -> Void) {
        let blank = fields.isEmpty && field.isEmpty && !quotedField
        endField()
        if blank {
            fields.removeAll(keepingCapacity: true)
        } else {
            emitRecord(emit)
        }
        line += 1
        recordLine = line
        afterCR = terminator == UInt8(ascii: "\r")
    }

    private mutating func emitRecord(_ emit: (CSVRecord) -> Void) {
        emit(CSVRecord(line: recordLine, fields: fields, error: error))
        fields.removeAll(keepingCapacity: true)
        error = nil
    }
}
