import Foundation
import KubeCore

/// Writes a cached object's fields into one byte buffer (see `Store.Packing`): integers as varints,
/// strings either as UTF-8 bytes or as a number in a `SharedStrings` table, dates as whole seconds when
/// they are whole, each after the first as its distance from the one before (an object's dates are mostly
/// the same few seconds). A decoded object spends 16 bytes on every String, an optional's padding on every
/// field and a heap block on every list and dictionary; here a field costs its bytes.
public struct PackedWriter {
    public private(set) var bytes: [UInt8] = []
    let strings: SharedStrings
    /// Which object is being packed (e.g. its uid's hash): a string is numbered once two objects have it.
    let owner: Int
    /// The last whole-second date written (what the next one is written relative to).
    private var lastSeconds: Int64 = 0

    public init(strings: SharedStrings, owner: Int, capacity: Int = 512) {
        self.strings = strings
        self.owner = owner
        bytes.reserveCapacity(capacity)
    }

    public mutating func int(_ value: Int64) {
        // Zigzag: small negative numbers stay short too.
        var v = UInt64(bitPattern: (value << 1) ^ (value >> 63))
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func int(_ value: Int) { int(Int64(value)) }

    public mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Present (1) or absent (0), written before an optional's value.
    public mutating func presence<V>(_ value: V?) -> V? {
        bytes.append(value == nil ? 0 : 1)
        return value
    }

    public mutating func double(_ value: Double) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Whole seconds (what the API server stores) as one varint, their distance from the last whole-second date
    /// written; anything finer as the exact Double.
    public mutating func date(_ value: Date) {
        let t = value.timeIntervalSince1970
        if t.rounded() == t, abs(t) < 1e15 {
            let seconds = Int64(t)
            int((seconds - lastSeconds) << 1)
            lastSeconds = seconds
        } else {
            int(Int64(1))
            double(t)
        }
    }

    public mutating func date(_ value: Date?) {
        if let value = presence(value) { date(value) }
    }

    /// A string that recurs across objects (a tag key or value, a reason): its number in the table once
    /// another object has had it, else its bytes.
    public mutating func shared(_ value: String) {
        if let id = strings.id(for: value, owner: owner) {
            int(Int64(id) << 1 | 1)
        } else {
            own(value, tagged: true)
        }
    }

    public mutating func shared(_ value: String?) {
        if let value = presence(value) { shared(value) }
    }

    /// A text made of words that recur across objects though the whole text may not (a reason naming a
    /// resource's account and name words): each space-separated word `shared`, so the text costs a byte or
    /// two per word. Reads back exactly (`PackedReader.words`), spaces included.
    public mutating func words(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        int(parts.count)
        for part in parts { shared(String(part)) }
    }

    /// A string of this object alone (its name, uid, provider id): its bytes.
    public mutating func own(_ value: String) { own(value, tagged: false) }

    public mutating func own(_ value: String?) {
        if let value = presence(value) { own(value) }
    }

    private mutating func own(_ value: String, tagged: Bool) {
        var value = value
        value.withUTF8 { utf8 in
            int(Int64(utf8.count) << (tagged ? 1 : 0))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func sharedMap(_ map: [String: String]?) {
        guard let map = presence(map) else { return }
        int(map.count)
        for (k, v) in map {
            shared(k)
            shared(v)
        }
    }

    public mutating func sharedList(_ list: [String]?) {
        guard let list = presence(list) else { return }
        int(list.count)
        for s in list { shared(s) }
    }

    /// The bytes, in a buffer of their own size (the writer's grew in steps).
    public func finish() -> [UInt8] {
        Array(unsafeUninitializedCapacity: bytes.count) { buffer, count in
            _ = buffer.initialize(from: bytes)
            count = bytes.count
        }
    }

    /// The bytes in one heap block with `header` (what a cache keeps per object: no array of its own beside it).
    public func finish<Header>(header: Header) -> PackedBuffer<Header> { PackedBuffer.make(header: header, bytes: bytes) }
}

/// A packed object's bytes and a fixed header (e.g. references to values shared with other objects) in a
/// single heap block: an object holding an array would be two blocks, each with its own header and padding.
/// Immutable once made, so concurrent readers may share it.
public final class PackedBuffer<Header>: ManagedBuffer<PackedBufferHeader<Header>, UInt8>, @unchecked Sendable {
    static func make(header: Header, bytes: [UInt8]) -> PackedBuffer<Header> {
        let buffer = unsafeDowncast(
            create(minimumCapacity: bytes.count) { _ in PackedBufferHeader(count: bytes.count, value: header) }, to: PackedBuffer<Header>.self)
        buffer.withUnsafeMutablePointerToElements { elements in
            _ = UnsafeMutableBufferPointer(start: elements, count: bytes.count).initialize(from: bytes)
        }
        return buffer
    }

    /// The header it was made with.
    public var value: Header { header.value }

    /// How many bytes it holds.
    public var count: Int { header.count }

    /// Reads the bytes with a reader over `strings` (the table of the writer's `SharedStrings`).
    public func read<R>(strings: [String], _ body: (inout PackedReader) -> R) -> R {
        withUnsafeMutablePointers { header, elements in
            var reader = PackedReader(UnsafeBufferPointer(start: elements, count: header.pointee.count), strings: strings)
            return body(&reader)
        }
    }
}

public struct PackedBufferHeader<Value> {
    let count: Int
    let value: Value
}

/// Reads what a `PackedWriter` wrote, in the same order, over bytes that outlive it (`PackedBuffer.read`,
/// `PackedReader.read`). The bytes come from this process's own writer, so a short or malformed buffer is a
/// programming error and traps.
public struct PackedReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var offset = 0
    let strings: [String]
    /// The last whole-second date read (see `PackedWriter.date`).
    private var lastSeconds: Int64 = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, strings: [String]) {
        self.bytes = bytes
        self.strings = strings
    }

    /// Reads `bytes` with a reader over `strings` (the table of the writer's `SharedStrings`: `SharedStrings.withTable`).
    public static func read<R>(_ bytes: [UInt8], strings: [String], _ body: (inout PackedReader) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = PackedReader(buffer, strings: strings)
            return body(&reader)
        }
    }

    private mutating func byte() -> UInt8 {
        precondition(offset < bytes.count, "read past the end of a packed object")
        offset += 1
        return bytes[offset - 1]
    }

    public mutating func int64() -> Int64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = byte()
            v |= UInt64(b & 0x7f) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    public mutating func int() -> Int { Int(int64()) }

    public mutating func bool() -> Bool { byte() != 0 }

    public mutating func isPresent() -> Bool { bool() }

    public mutating func double() -> Double {
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(byte()) << (8 * UInt64(i)) }
        return Double(bitPattern: bits)
    }

    public mutating func date() -> Date {
        let head = int64()
        guard head & 1 == 0 else { return Date(timeIntervalSince1970: double()) }
        lastSeconds += head >> 1
        return Date(timeIntervalSince1970: TimeInterval(lastSeconds))
    }

    public mutating func optionalDate() -> Date? { isPresent() ? date() : nil }

    public mutating func shared() -> String {
        let head = int64()
        if head & 1 == 1 { return strings[Int(head >> 1)] }
        return utf8(count: Int(head >> 1))
    }

    public mutating func optionalShared() -> String? { isPresent() ? shared() : nil }

    /// What `PackedWriter.words` wrote.
    public mutating func words() -> String {
        let n = int()
        var text = ""
        for i in 0..<n {
            if i > 0 { text.append(" ") }
            text.append(shared())
        }
        return text
    }

    public mutating func own() -> String { utf8(count: int()) }

    public mutating func optionalOwn() -> String? { isPresent() ? own() : nil }

    private mutating func utf8(count: Int) -> String {
        precondition(count >= 0 && offset + count <= bytes.count, "read past the end of a packed object")
        let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[offset..<offset + count]), as: UTF8.self)
        offset += count
        return s
    }

    public mutating func sharedMap() -> [String: String]? {
        guard isPresent() else { return nil }
        let n = int()
        var map = [String: String](minimumCapacity: n)
        for _ in 0..<n {
            let k = shared()
            map[k] = shared()
        }
        return map
    }

    public mutating func sharedList() -> [String]? {
        guard isPresent() else { return nil }
        let n = int()
        var list: [String] = []
        list.reserveCapacity(n)
        for _ in 0..<n { list.append(shared()) }
        return list
    }

    /// A list of `n` elements read by `element` (n written first by the writer's `int`).
    public mutating func list<E>(_ element: (inout PackedReader) -> E) -> [E] {
        let n = int()
        var out: [E] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(element(&self)) }
        return out
    }

    public mutating func optionalList<E>(_ element: (inout PackedReader) -> E) -> [E]? {
        isPresent() ? list(element) : nil
    }

    // MARK: Skipping (a reader after a few fields passes over the others without making their strings, maps, lists)

    public mutating func skipShared() {
        let head = int64()
        if head & 1 == 0 { skip(Int(head >> 1)) }
    }

    public mutating func skipOptionalShared() { if isPresent() { skipShared() } }

    public mutating func skipOwn() { skip(int()) }

    public mutating func skipOptionalOwn() { if isPresent() { skipOwn() } }

    /// Dates are read, not skipped: each one is written relative to the one before.
    public mutating func skipDate() { _ = date() }

    public mutating func skipOptionalDate() { if isPresent() { skipDate() } }

    public mutating func skipDouble() { skip(8) }

    public mutating func skipWords() {
        for _ in 0..<int() { skipShared() }
    }

    public mutating func skipSharedMap() {
        guard isPresent() else { return }
        for _ in 0..<int() * 2 { skipShared() }
    }

    /// Skips a `sharedList`; returns its count (0 when absent).
    @discardableResult
    public mutating func skipSharedList() -> Int {
        guard isPresent() else { return 0 }
        let n = int()
        for _ in 0..<n { skipShared() }
        return n
    }

    /// Skips an optional list whose elements `element` skips.
    public mutating func skipOptionalList(_ element: (inout PackedReader) -> Void) {
        guard isPresent() else { return }
        for _ in 0..<int() { element(&self) }
    }

    private mutating func skip(_ count: Int) {
        precondition(count >= 0 && offset + count <= bytes.count, "read past the end of a packed object")
        offset += count
    }

    /// Whether every byte was read (what a round trip checks).
    public var isAtEnd: Bool { offset == bytes.count }
}
