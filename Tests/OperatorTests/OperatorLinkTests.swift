import Foundation
import Testing
import VTagTestSupport

/// How the operator binary is linked (Package.swift, the Operator target's linker settings): its relative
/// relocations are packed (ELF's RELR section, lld's `-z pack-relative-relocs`). Unpacked, gold wrote 1.3 MB
/// of them, which the loader reads at every start and which stay resident (issue 16's memory figures).
@Suite struct OperatorLinkTests {
    /// ELF's section type for packed relative relocations (SHT_RELR).
    static let packedRelocations: UInt32 = 19

    @Test func theOperatorBinaryPacksItsRelativeRelocations() throws {
        #if os(Linux)
        let binary = try OperatorBinaryTests.binary()
        let types = try ELFSectionTypes.read(Data(contentsOf: binary))
        #expect(types.contains(Self.packedRelocations), "\(binary.path) has no RELR section: linked without -z pack-relative-relocs?")
        #endif
    }
}

/// The types of an ELF64 little-endian file's sections, from its section header table.
enum ELFSectionTypes {
    struct NotELF64: Error, CustomStringConvertible {
        var description: String
    }

    static func read(_ file: Data) throws -> [UInt32] {
        let bytes = [UInt8](file)
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw NotELF64(description: "not a little-endian ELF64 file")
        }
        func integer(_ offset: Int, _ size: Int) -> Int {
            (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        let tableOffset = integer(0x28, 8), entrySize = integer(0x3A, 2), count = integer(0x3C, 2)
        guard entrySize >= 8, tableOffset + entrySize * count <= bytes.count else {
            throw NotELF64(description: "section header table outside the file")
        }
        // Each header starts with sh_name (4 bytes), then sh_type (4 bytes).
        return (0..<count).map { UInt32(integer(tableOffset + $0 * entrySize + 4, 4)) }
    }
}
