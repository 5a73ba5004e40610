import Foundation
import Yams

/// The YAML shape of one kubeconfig file (clientcmd/api/v1), with kubectl's hyphenated keys.
struct KubeconfigFile: Decodable {
    var currentContext: String?
    var clusters: [Named<ClusterEntry>]?
    var users: [Named<UserEntry>]?
    var contexts: [Named<ContextEntry>]?

    enum CodingKeys: String, CodingKey {
        case currentContext = "current-context"
        case clusters, users, contexts
    }

    struct Named<Value: Decodable>: Decodable {
        var name: String
        var value: Value?

        enum CodingKeys: String, CodingKey { case name, cluster, user, context }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            let key: CodingKeys =
                Value.self == ClusterEntry.self ? .cluster : Value.self == UserEntry.self ? .user : .context
            value = try c.decodeIfPresent(Value.self, forKey: key)
        }
    }
}

/// A cluster entry of a kubeconfig.
public struct ClusterEntry: Decodable, Sendable, Hashable {
    public var server: String?
    public var certificateAuthority: String?
    public var certificateAuthorityData: String?
    public var insecureSkipTLSVerify: Bool?
    public var tlsServerName: String?

    enum CodingKeys: String, CodingKey {
        case server
        case certificateAuthority = "certificate-authority"
        case certificateAuthorityData = "certificate-authority-data"
        case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        case tlsServerName = "tls-server-name"
    }
}

/// A user (AuthInfo) entry of a kubeconfig.
public struct UserEntry: Decodable, Sendable, Hashable {
    public var token: String?
    public var tokenFile: String?
    public var clientCertificate: String?
    public var clientCertificateData: String?
    public var clientKey: String?
    public var clientKeyData: String?
    public var username: String?
    public var password: String?
    public var exec: ExecConfig?
    /// Legacy auth-provider plugins (gcp, azure, oidc) are not supported; kept to say so clearly.
    public var authProvider: AuthProviderEntry?

    enum CodingKeys: String, CodingKey {
        case token, tokenFile, username, password, exec
        case clientCertificate = "client-certificate"
        case clientCertificateData = "client-certificate-data"
        case clientKey = "client-key"
        case clientKeyData = "client-key-data"
        case authProvider = "auth-provider"
    }

    public struct AuthProviderEntry: Decodable, Sendable, Hashable {
        public var name: String?
    }
}

/// A context entry: which cluster, which user, which namespace.
public struct ContextEntry: Decodable, Sendable, Hashable {
    public var cluster: String?
    public var user: String?
    public var namespace: String?
}

/// `users[].user.exec`: a credential plugin speaking client.authentication.k8s.io ExecCredential.
public struct ExecConfig: Codable, Sendable, Hashable {
    public var apiVersion: String?
    public var command: String
    public var args: [String]?
    public var env: [EnvVar]?
    public var installHint: String?
    public var provideClusterInfo: Bool?
    public var interactiveMode: String?

    public struct EnvVar: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
    }

    public init(apiVersion: String?, command: String, args: [String]? = nil, env: [EnvVar]? = nil) {
        self.apiVersion = apiVersion
        self.command = command
        self.args = args
        self.env = env
    }
}

extension KubeconfigFile {
    /// Parses one file; a decoding failure names the field by its YAML path.
    static func parse(_ text: String, file: String) throws -> KubeconfigFile {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return KubeconfigFile() }
        do {
            return try YAMLDecoder().decode(KubeconfigFile.self, from: text)
        } catch let error as DecodingError {
            let (path, message) = describe(error)
            throw KubeClientError.configuration(.init(file: file, field: path.isEmpty ? nil : path, message))
        } catch let error as YamlError {
            throw KubeClientError.configuration(.init(file: file, "not valid YAML: \(error)"))
        } catch {
            throw KubeClientError.configuration(.init(file: file, "cannot parse: \(error)"))
        }
    }

    static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ keys: [CodingKey]) -> String {
            var out = ""
            for key in keys {
                if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : "." + key.stringValue }
            }
            return out
        }
        switch error {
        case .typeMismatch(let type, let ctx): return (path(ctx.codingPath), "expected \(type): \(ctx.debugDescription)")
        case .valueNotFound(let type, let ctx): return (path(ctx.codingPath), "missing value of type \(type)")
        case .keyNotFound(let key, let ctx): return (path(ctx.codingPath + [key]), "required field is missing")
        case .dataCorrupted(let ctx): return (path(ctx.codingPath), ctx.debugDescription)
        @unknown default: return ("", "\(error)")
        }
    }
}
