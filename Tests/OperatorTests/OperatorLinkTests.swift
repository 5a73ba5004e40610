import Foundation
import Testing
import VTagTestSupport

/// How the operator binary is linked (Package.swift, the OperatorMain target's settings): its relative
/// relocations are packed (ELF's RELR section, lld's `-z pack-relative-relocs`); unpacked, gold wrote 1.3 MB
/// of them, which the loader reads at every start and which stay resident. The Swift runtime and Foundation
/// are linked in (`-static-stdlib`), as the image ships them: their shared libraries cost 4–6 MiB more
/// resident (issue 16's memory figures).
@Suite struct OperatorLinkTests {
    /// ELF's section type for packed relative relocations (SHT_RELR).
    static let packedRelocations: UInt32 = 19

    @Test func theOperatorBinaryPacksItsRelativeRelocations() throws {
        #if os(Linux)
        let binary = try OperatorBinaryTests.binary()
        let elf = try ELFFile(Data(contentsOf: binary))
        #expect(elf.sectionTypes.contains(Self.packedRelocations), "\(binary.path) has no RELR section: linked without -z pack-relative-relocs?")
        #endif
    }

    @Test func theOperatorBinaryLinksTheSwiftRuntimeAndFoundationIn() throws {
        #if os(Linux)
        let binary = try OperatorBinaryTests.binary()
        let needed = try ELFFile(Data(contentsOf: binary)).neededLibraries()
        #expect(needed.contains { $0.hasPrefix("libc.so") }, "\(binary.path): no libc among \(needed): not a dynamically linked ELF file?")
        let swiftLibraries = needed.filter { $0.hasPrefix("libswift") || $0.hasPrefix("libFoundation") || $0.hasPrefix("lib_Foundation") || $0.hasPrefix("libdispatch") }
        #expect(swiftLibraries.isEmpty, "\(binary.path) loads \(swiftLibraries): linked without -static-stdlib?")
        #endif
    }

    /// -static-stdlib exports every symbol (--export-dynamic, 49,000 of them), a table the loader searches at
    /// every lookup; the operator links without it and exports only what the linker must (about 600).
    @Test func theOperatorBinaryExportsNoSymbolTable() throws {
        #if os(Linux)
        let binary = try OperatorBinaryTests.binary()
        let exported = try #require(try ELFFile(Data(contentsOf: binary)).dynamicSymbolCount(), "\(binary.path) has no dynamic symbol table")
        #expect(exported < 5_000, "\(binary.path) exports \(exported) symbols: linked with --export-dynamic?")
        #endif
    }

    @Test func neededLibrariesAreReadFromADynamicallyLinkedBinary() throws {
        #if os(Linux)
        // This test process links the Swift runtime dynamically: the reader must find it.
        let needed = try ELFFile(Data(contentsOf: URL(fileURLWithPath: "/proc/self/exe"))).neededLibraries()
        #expect(needed.contains("libswiftCore.so"), "needed libraries of the test process: \(needed)")
        #endif
    }
}

/// An ELF64 little-endian file's section header table, and the shared libraries its dynamic section names.
struct ELFFile {
    struct NotELF64: Error, CustomStringConvertible {
        var description: String
    }

    struct Section {
        var type: UInt32
        var link: Int
        var offset: Int
        var size: Int
        var entrySize: Int
    }

    let bytes: [UInt8]
    let sections: [Section]

    var sectionTypes: [UInt32] { sections.map(\.type) }

    init(_ file: Data) throws {
        let bytes = [UInt8](file)
        self.bytes = bytes
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46], bytes[4] == 2, bytes[5] == 1 else {
            throw NotELF64(description: "not a little-endian ELF64 file")
        }
        let tableOffset = Self.integer(bytes, 0x28, 8), entrySize = Self.integer(bytes, 0x3A, 2), count = Self.integer(bytes, 0x3C, 2)
        guard entrySize >= 64, tableOffset + entrySize * count <= bytes.count else {
            throw NotELF64(description: "section header table outside the file")
        }
        // Elf64_Shdr: name 4, type 4, flags 8, addr 8, offset 8, size 8, link 4, info 4, addralign 8, entsize 8.
        sections = (0..<count).map { index in
            let at = tableOffset + index * entrySize
            return Section(type: UInt32(Self.integer(bytes, at + 4, 4)), link: Self.integer(bytes, at + 40, 4),
                           offset: Self.integer(bytes, at + 24, 8), size: Self.integer(bytes, at + 32, 8),
                           entrySize: Self.integer(bytes, at + 56, 8))
        }
    }

    /// The DT_NEEDED entries of the dynamic section (SHT_DYNAMIC), in order; empty for a static binary.
    func neededLibraries() throws -> [String] {
        let dynamicType: UInt32 = 6, needed = 1
        guard let dynamic = sections.first(where: { $0.type == dynamicType }) else { return [] }
        guard dynamic.link < sections.count, dynamic.offset + dynamic.size <= bytes.count else {
            throw NotELF64(description: "dynamic section outside the file")
        }
        let strings = sections[dynamic.link]
        var names: [String] = []
        // Elf64_Dyn: tag 8, value 8.
        for at in stride(from: dynamic.offset, to: dynamic.offset + dynamic.size - 15, by: 16)
        where Self.integer(bytes, at, 8) == needed {
            let start = strings.offset + Self.integer(bytes, at + 8, 8)
            guard start < strings.offset + strings.size, start < bytes.count else {
                throw NotELF64(description: "a needed library's name lies outside the string table")
            }
            let end = bytes[start...].firstIndex(of: 0) ?? bytes.count
            names.append(String(decoding: bytes[start..<end], as: UTF8.self))
        }
        return names
    }

    /// The number of entries of the dynamic symbol table (SHT_DYNSYM, 24 bytes each); nil without one.
    func dynamicSymbolCount() -> Int? {
        let dynamicSymbols: UInt32 = 11
        return sections.first { $0.type == dynamicSymbols }.map { $0.size / max($0.entrySize, 1) }
    }

    static func integer(_ bytes: [UInt8], _ offset: Int, _ size: Int) -> Int {
        (0..<size).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }
}
