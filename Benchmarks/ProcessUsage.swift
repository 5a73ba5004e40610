import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What this process has used so far, for the benchmarks' reports.
enum ProcessUsage {
    /// User + system CPU time.
    static func cpuSeconds() -> Double {
        let usage = current()
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    /// Peak resident memory (ru_maxrss is KiB on Linux, bytes on macOS).
    static func peakResidentMiB() -> Int {
        #if canImport(Darwin)
        return Int(current().ru_maxrss) / 1_048_576
        #else
        return Int(current().ru_maxrss) / 1024
        #endif
    }


    /// Resident memory now (VmRSS), nil where /proc is not there.
    static func residentMiB() -> Int? { statusKiB("VmRSS:").map { $0 / 1024 } }

    /// Starts the peak resident memory (VmHWM) over from now (Linux: `clear_refs` 5), so a benchmark can
    /// measure one step's peak after building its input.
    static func resetPeakResident() {
        if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
            handle.write(Data("5".utf8))
            try? handle.close()
        }
    }

    /// Peak resident memory since `resetPeakResident` (VmHWM), nil where /proc is not there.
    static func peakResidentSinceResetMiB() -> Int? { statusKiB("VmHWM:").map { $0 / 1024 } }

    private static func statusKiB(_ field: String) -> Int? {
        // Read to the end: /proc files report a size of 0.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/status") else { return nil }
        defer { try? handle.close() }
        let status = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            return Int(line.dropFirst(field.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return nil
    }

    private static func current() -> rusage {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return usage
    }
}
