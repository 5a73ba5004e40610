import Foundation
import NIOCore

/// Splits a byte stream into newline-terminated lines (a watch answer is one JSON event per line)
/// without holding more than the current partial line. A chunk that holds whole lines is sliced,
/// not copied; only a line split across chunks is copied into the pending buffer.
public struct LineSplitter: Sendable {
    /// Unconsumed bytes: the rest of the last chunk, or a partial line being assembled.
    private var buffer = ByteBuffer()
    /// How many readable bytes of `buffer` are known to hold no newline (never scanned twice).
    private var scanned = 0
    /// A line longer than this is an error (a broken stream must not eat all memory).
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = 256 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func append(_ chunk: ByteBuffer) {
        if buffer.readableBytes == 0 {
            buffer = chunk
            scanned = 0
        } else {
            // A buffer's storage only grows: while a partial line is always pending (a chunk seldom ends at a
            // newline) every byte read since the buffer was last empty would stay in it, the whole watch's
            // events. Moving the partial line to the front once the bytes read outweigh it keeps the storage
            // to about a partial line and a chunk, and copies each byte a bounded number of times.
            if buffer.readerIndex > buffer.readableBytes { buffer.discardReadBytes() }
            var chunk = chunk
            buffer.writeBuffer(&chunk)
        }
    }

    /// Bytes the pending buffer's storage holds (read or not): what a watch keeps between chunks.
    var storageCapacity: Int { buffer.capacity }

    /// The next complete line without its terminator (and without a trailing `\r`), or nil when
    /// more bytes are needed. Empty lines are skipped.
    public mutating func nextLine() throws -> ByteBuffer? {
        while true {
            let found: Int? = buffer.withUnsafeReadableBytes { raw in
                guard scanned < raw.count, let base = raw.baseAddress else { return nil }
                guard let hit = memchr(base + scanned, 0x0A, raw.count - scanned) else { return nil }
                return base.distance(to: UnsafeRawPointer(hit))
            }
            guard let end = found else {
                scanned = buffer.readableBytes
                if scanned > maxLineBytes { throw KubeClientError.watchLineTooLong(limit: maxLineBytes) }
                if scanned == 0 { buffer.clear() }
                return nil
            }
            var line = buffer.readSlice(length: end)!
            buffer.moveReaderIndex(forwardBy: 1)
            scanned = 0
            if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
                line.moveWriterIndex(to: line.writerIndex - 1)
            }
            if buffer.readableBytes == 0 { buffer.clear() }
            if Self.isBlank(line) { continue }
            return line
        }
    }

    /// What is left when the stream ends: a last line without a terminator, if any.
    public mutating func finish() -> ByteBuffer? {
        guard buffer.readableBytes > 0 else { return nil }
        let rest = buffer.readSlice(length: buffer.readableBytes)!
        buffer.clear()
        scanned = 0
        return Self.isBlank(rest) ? nil : rest
    }

    static func isBlank(_ line: ByteBuffer) -> Bool {
        line.withUnsafeReadableBytes { raw in raw.allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 } }
    }
}
