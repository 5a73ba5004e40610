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
