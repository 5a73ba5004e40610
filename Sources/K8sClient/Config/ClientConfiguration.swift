import Foundation
import NIOSSL

/// Everything a `KubeClient` needs to reach one API server, resolved from a kubeconfig or in-cluster.
public struct ClientConfiguration: Sendable {
    /// Base URL of the API server; may carry a path prefix (some proxies serve the API under one).
    public var server: URL
    public var tls: TLSSettings
    public var auth: AuthSource
    /// The default namespace of the context (or the service account's).
    public var namespace: String
    /// Where this came from, for logs: "kubeconfig /x context \"y\"" or "in-cluster".
    public var source: String
    /// Client-side rate limit. client-go defaults to 5 QPS / 10 burst; an operator with 100,000
    /// objects needs more.
    public var qps: Double = 50
    public var burst: Int = 100
    /// Adaptive pacing instead of the fixed `qps`/`burst` limit: as many requests in flight as the API
    /// server answers quickly, fewer on 429 and slow answers (`AdaptivePacing`). nil: the fixed limit.
    public var adaptivePacing: AdaptivePacing.Settings?
    public var retry: RetryPolicy = RetryPolicy()
    /// Timeout of a non-watch request.
    public var requestTimeout: Duration = .seconds(60)
    public var userAgent: String = "vtag-k8sclient/0.1"
    /// Requests (watches aside) share one multiplexed HTTP/2 connection instead of a pool of HTTP/1.1
    /// connections (`KubeClient.sharedHTTPClient` says why HTTP/1.1 is the default).
    public var http2 = false

    public init(server: URL, tls: TLSSettings = TLSSettings(), auth: AuthSource = .none, namespace: String = "default", source: String = "explicit") {
        self.server = server
        self.tls = tls
        self.auth = auth
        self.namespace = namespace
        self.source = source
    }
}

/// TLS material as PEM bytes (validated when the configuration is resolved).
public struct TLSSettings: Sendable, Hashable {
    /// Roots to trust instead of the system's.
    public var caPEM: [UInt8]?
    public var insecureSkipVerify = false
    public var clientCertificatePEM: [UInt8]?
    public var clientKeyPEM: [UInt8]?
    /// kubeconfig `tls-server-name`; recorded but not applied (the URL host is used for SNI and verification).
    public var serverName: String?

    public init(caPEM: [UInt8]? = nil, insecureSkipVerify: Bool = false, clientCertificatePEM: [UInt8]? = nil, clientKeyPEM: [UInt8]? = nil) {
        self.caPEM = caPEM
        self.insecureSkipVerify = insecureSkipVerify
        self.clientCertificatePEM = clientCertificatePEM
        self.clientKeyPEM = clientKeyPEM
    }

    /// The NIOSSL client configuration; `override` (from an exec plugin) replaces the client certificate.
    func makeTLSConfiguration(clientCertificate override: (cert: [UInt8], key: [UInt8])? = nil) throws -> TLSConfiguration {
        var config = TLSConfiguration.makeClientConfiguration()
        if insecureSkipVerify { config.certificateVerification = .none }
        if let caPEM {
            config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(caPEM))
        }
        if let pair = override ?? clientCertificatePEM.flatMap({ c in clientKeyPEM.map { (c, $0) } }) {
            config.certificateChain = try NIOSSLCertificate.fromPEMBytes(pair.0).map { .certificate($0) }
            config.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: pair.1, format: .pem))
        }
        return config
    }

    static func validateCertificates(_ pem: [UInt8], error: @autoclosure () -> KubeClientError) throws {
        guard let certs = try? NIOSSLCertificate.fromPEMBytes(pem), !certs.isEmpty else { throw error() }
    }

    static func validateKey(_ pem: [UInt8], error: @autoclosure () -> KubeClientError) throws {
        guard (try? NIOSSLPrivateKey(bytes: pem, format: .pem)) != nil else { throw error() }
    }
}

/// How requests authenticate (besides a client certificate in `TLSSettings`).
public enum AuthSource: Sendable, Hashable {
    case none
    case token(String)
    /// A bearer token file, re-read when it changes (projected service-account tokens rotate).
    case tokenFile(String)
    case basic(username: String, password: String)
    case exec(ExecSpec)
}

/// An exec credential plugin and what it needs to run.
public struct ExecSpec: Sendable, Hashable {
    public var config: ExecConfig
    /// A relative command path with a slash resolves against the kubeconfig's directory, as in kubectl.
    public var kubeconfigDirectory: String
    /// Sent in KUBERNETES_EXEC_INFO when `provideClusterInfo` is set.
    public var cluster: ClusterInfo?
    /// For error messages: the kubeconfig file and user entry.
    public var source: String

    public struct ClusterInfo: Codable, Sendable, Hashable {
        public var server: String
        public var certificateAuthorityData: String?
        public var insecureSkipTLSVerify: Bool
        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }
}

extension ClientConfiguration {
    public static let defaultServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Resolves the configuration the way the operator looks for it: an explicit kubeconfig path,
    /// else `KUBECONFIG` (a `:`-separated list, merged), else in-cluster (service account), else
    /// `~/.kube/config`. `context` overrides the current context of a kubeconfig.
    public static func load(
        kubeconfigPath: String? = nil, context: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = defaultServiceAccountDirectory
    ) throws -> ClientConfiguration {
        if let path = kubeconfigPath, !path.isEmpty {
            return try Kubeconfig.load(paths: [path]).resolve(context: context)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let paths = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            return try Kubeconfig.load(paths: paths, skipMissing: true).resolve(context: context)
        }
        if environment["KUBERNETES_SERVICE_HOST"] != nil {
            return try inCluster(environment: environment, directory: serviceAccountDirectory)
        }
        if let home = environment["HOME"] {
            let path = home + "/.kube/config"
            if FileManager.default.fileExists(atPath: path) {
                return try Kubeconfig.load(paths: [path]).resolve(context: context)
            }
        }
        throw KubeClientError.configuration(.init(
            "no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config"))
    }

    /// In-cluster configuration from the pod's environment and mounted service account.
    /// The token is re-read as the kubelet rotates it.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        directory: String = defaultServiceAccountDirectory
    ) throws -> ClientConfiguration {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else {
            throw KubeClientError.configuration(.init(file: directory, field: "KUBERNETES_SERVICE_HOST", "not set: not running in a pod"))
        }
        guard let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty, Int(port) != nil else {
            throw KubeClientError.configuration(.init(file: directory, field: "KUBERNETES_SERVICE_PORT", "not set or not a port number"))
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        guard let server = URL(string: "https://\(hostPart):\(port)") else {
            throw KubeClientError.configuration(.init(file: directory, field: "KUBERNETES_SERVICE_HOST", "\"\(host)\" does not form a URL"))
        }
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeClientError.configuration(.init(file: tokenPath, field: "token", "service-account token is missing or unreadable"))
        }
        var tls = TLSSettings()
        let caPath = directory + "/ca.crt"
        if let ca = FileManager.default.contents(atPath: caPath) {
            tls.caPEM = Array(ca)
            try TLSSettings.validateCertificates(tls.caPEM!, error: KubeClientError.configuration(.init(file: caPath, field: "ca.crt", "does not hold a PEM certificate")))
        }
        var namespace = "default"
        if let ns = FileManager.default.contents(atPath: directory + "/namespace") {
            let text = String(decoding: ns, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { namespace = text }
        }
        return ClientConfiguration(server: server, tls: tls, auth: .tokenFile(tokenPath), namespace: namespace, source: "in-cluster")
    }
}
