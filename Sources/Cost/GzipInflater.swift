import CZlib
import Foundation

/// Streaming gzip decompression through the system zlib: feed compressed chunks of any size, get the
/// decompressed bytes in pieces, so a large export never sits in memory whole. Concatenated gzip
/// members (`cat a.gz b.gz`) are read one after the other; zero padding after the last one is ignored.
final class GzipInflater {
    /// zlib checks that the stream keeps its address, so it lives in memory of its own, not in a Swift property.
    private let stream: UnsafeMutablePointer<z_stream>
    private var output = [UInt8](repeating: 0, count: 1 << 18)
    /// The current member ended (its trailer was read); more input starts a new member.
    private var memberEnded = false
    private var sawInput = false

    /// The first bytes of every gzip stream.
    static let magic: [UInt8] = [0x1F, 0x8B]

    init() throws(CostError) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // 15 + 16: the largest window, gzip header and trailer (not raw deflate or zlib format).
        let rc = inflateInit2_(stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw CostError.corruptGzip(reason: "zlib could not start (code \(rc))")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Decompresses `input`, handing each piece of output to `emit` (valid only during the call).
    func feed(_ input: Data, _ emit: (UnsafeRawBufferPointer) -> Void) throws(CostError) {
        guard !input.isEmpty else { return }
        sawInput = true
        let failure = input.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> CostError? in inflateAll(raw, emit) }
        if let failure { throw failure }
    }

    private func inflateAll(_ raw: UnsafeRawBufferPointer, _ emit: (UnsafeRawBufferPointer) -> Void) -> CostError? {
        guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
        var offset = 0
        while offset < raw.count {
            if memberEnded {
                if raw[offset...].allSatisfy({ $0 == 0 }) { return nil }
                inflateReset(stream)
                memberEnded = false
            }
            stream.pointee.next_in = UnsafeMutablePointer(mutating: base + offset)
            stream.pointee.avail_in = UInt32(raw.count - offset)
            var rc: Int32 = Z_OK
            repeat {
                rc = step(emit)
                if rc == Z_STREAM_END || rc == Z_BUF_ERROR { break }
                if rc != Z_OK { return CostError.corruptGzip(reason: message(rc)) }
            } while stream.pointee.avail_in > 0 || stream.pointee.avail_out == 0
            if rc == Z_STREAM_END { memberEnded = true }
            if rc == Z_BUF_ERROR && stream.pointee.avail_in > 0 { return CostError.corruptGzip(reason: message(rc)) }
            offset = raw.count - Int(stream.pointee.avail_in)
        }
        return nil
    }

    /// One inflate call into the output buffer; what it produced goes to `emit`.
    private func step(_ emit: (UnsafeRawBufferPointer) -> Void) -> Int32 {
        let capacity = output.count
        return output.withUnsafeMutableBytes { (out: UnsafeMutableRawBufferPointer) -> Int32 in
            stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.pointee.avail_out = UInt32(capacity)
            let rc = inflate(stream, Z_NO_FLUSH)
            let produced = capacity - Int(stream.pointee.avail_out)
            if produced > 0 { emit(UnsafeRawBufferPointer(rebasing: out[..<produced])) }
            return rc
        }
    }

    /// Ends the input: data that stops inside a member is a truncated file.
    func finish() throws(CostError) {
        guard sawInput, !memberEnded else { return }
        throw CostError.corruptGzip(reason: "the compressed data ends early (the file is truncated or still being written)")
    }

    private func message(_ rc: Int32) -> String {
        let detail = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(rc)"
        return "the compressed data is corrupt (\(detail))"
    }
}
