/// Ordering of resourceVersions, for read-your-own-writes.
///
/// Kubernetes documents resourceVersion as opaque, but the API server (etcd's revision) and the
/// test server both use decimal integers that grow with every write. When both versions are
/// integers we compare them numerically; when either is not, we cannot order them and treat the
/// incoming version as newer (the cache then behaves like a plain watch cache).
public enum ResourceVersion {
    /// Whether `a` is known to be older than `b`.
    public static func isOlder(_ a: String?, than b: String?) -> Bool {
        guard let a, let b, let x = UInt64(a), let y = UInt64(b) else { return false }
        return x < y
    }
}
