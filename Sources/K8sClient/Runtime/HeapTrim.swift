#if canImport(Glibc)
import Glibc
#endif

/// Hands the malloc arenas' free pages back to the kernel (glibc's malloc_trim(0); a no-op without glibc).
/// free() returns only the top of an arena: what a burst freed below it stays resident until a trim.
public enum HeapTrim {
    public static func now() {
        #if canImport(Glibc)
        guard let symbol = dlsym(nil, "malloc_trim") else { return }  // nil: RTLD_DEFAULT on glibc
        typealias MallocTrim = @convention(c) (Int) -> Int32
        _ = unsafeBitCast(symbol, to: MallocTrim.self)(0)
        #endif
    }
}
