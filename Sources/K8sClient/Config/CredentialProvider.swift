import Foundation
import NIOSSL

/// The current credentials of a client: caches a token file until it changes and an exec plugin's
/// answer until it expires (or the server answers 401).
actor CredentialProvider {
    struct Credentials: Sendable {
        var authorization: String?
        /// Set when an exec plugin supplied a client certificate.
        var tls: TLSConfiguration?
    }

    private let auth: AuthSource
    private let tlsSettings: TLSSettings
    private var fileToken: (token: String, stamp: FileStamp?)?
    private var execCache: (credentials: Credentials, expiration: Date?)?
    private var execInFlight: Task<(Credentials, Date?), Error>?

    init(auth: AuthSource, tls: TLSSettings) {
        self.auth = auth
        self.tlsSettings = tls
    }

    /// Whether a 401 could be cured by asking again.
    nonisolated var canRefresh: Bool {
        switch auth {
        case .tokenFile, .exec: return true
        default: return false
        }
    }

    func current() async throws -> Credentials {
        switch auth {
        case .none: return Credentials()
        case .token(let t): return Credentials(authorization: "Bearer \(t)")
        case .basic(let u, let p): return Credentials(authorization: "Basic " + Data("\(u):\(p)".utf8).base64EncodedString())
        case .tokenFile(let path): return Credentials(authorization: "Bearer \(try readTokenFile(path))")
        case .exec(let spec): return try await execCredentials(spec)
        }
    }

    /// Forget cached credentials (after a 401).
    func invalidate() {
        fileToken = nil
        execCache = nil
    }

    private func readTokenFile(_ path: String) throws -> String {
        let stamp = FileStamp(path: path)
        if let cached = fileToken, cached.stamp == stamp, stamp != nil { return cached.token }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KubeClientError.configuration(.init(file: path, field: "tokenFile", "cannot read the token file"))
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw KubeClientError.configuration(.init(file: path, field: "tokenFile", "the token file is empty")) }
        fileToken = (token, stamp)
        return token
    }

    private func execCredentials(_ spec: ExecSpec) async throws -> Credentials {
        // Refresh a little before expiry so a request does not race the deadline.
        if let cache = execCache, cache.expiration.map({ $0.timeIntervalSinceNow > 10 }) ?? true { return cache.credentials }
        if let running = execInFlight { return try await running.value.0 }
        let settings = tlsSettings
        let task = Task<(Credentials, Date?), Error> {
            let cred = try await ExecCredentialPlugin.run(spec)
            var out = Credentials(authorization: cred.token.map { "Bearer \($0)" })
            if let cert = cred.clientCertificatePEM, let key = cred.clientKeyPEM {
                do { out.tls = try settings.makeTLSConfiguration(clientCertificate: (cert, key)) } catch {
                    throw KubeClientError.configuration(.init(file: spec.source, field: "exec", "credential plugin returned an unusable client certificate or key: \(error)"))
                }
            }
            return (out, cred.expiration)
        }
        execInFlight = task
        defer { execInFlight = nil }
        let (creds, expiration) = try await task.value
        execCache = (creds, expiration)
        return creds
    }
}

/// Identity of a file's content version: modification time, size and inode.
struct FileStamp: Equatable {
    var mtimeSeconds: Int
    var mtimeNanos: Int
    var size: Int64
    var inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        #if canImport(Darwin)
        mtimeSeconds = Int(st.st_mtimespec.tv_sec)
        mtimeNanos = Int(st.st_mtimespec.tv_nsec)
        #else
        mtimeSeconds = Int(st.st_mtim.tv_sec)
        mtimeNanos = Int(st.st_mtim.tv_nsec)
        #endif
        size = Int64(st.st_size)
        inode = UInt64(st.st_ino)
    }
}
