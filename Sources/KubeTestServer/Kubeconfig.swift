import Foundation
import KubeCore

/// How the generated kubeconfig's user authenticates.
public enum KubeconfigUser: Sendable, Hashable {
    /// `token:` inline.
    case token(String)
    /// `tokenFile:` pointing at a file (written by the caller).
    case tokenFile(String)
    /// `client-certificate:` / `client-key:` paths of the server's client certificate (user "cert-user").
    case clientCertFiles
    /// `client-certificate-data:` / `client-key-data:` (base64 PEM) of the client certificate.
    case clientCertData
    /// An exec credential plugin (client.authentication.k8s.io/v1).
    case exec(command: String, args: [String] = [], env: [String: String] = [:])
    /// No credentials at all (the server answers 401 when it requires auth).
    case anonymous
}

/// How the generated kubeconfig's cluster trusts the server.
public enum KubeconfigTrust: Sendable, Hashable {
    /// `certificate-authority-data:` (base64 PEM of the CA).
    case caData
    /// `certificate-authority:` path of the CA file.
    case caFile
    /// `insecure-skip-tls-verify: true`.
    case insecure
}

extension KubeconfigUser {
    func yaml(_ certs: TestCertificates) -> String {
        func b64(_ s: String) -> String { Data(s.utf8).base64EncodedString() }
        switch self {
        case .token(let t): return "    token: \(q(t))\n"
        case .tokenFile(let p): return "    tokenFile: \(q(p))\n"
        case .clientCertFiles:
            return "    client-certificate: \(q(certs.clientCertPath))\n    client-key: \(q(certs.clientKeyPath))\n"
        case .clientCertData:
            return "    client-certificate-data: \(b64(certs.clientCert))\n    client-key-data: \(b64(certs.clientKey))\n"
        case .exec(let command, let args, let env):
            var s = "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: \(q(command))\n"
            s += "      interactiveMode: Never\n"
            if !args.isEmpty { s += "      args:\n" + args.map { "      - \(q($0))\n" }.joined() }
            if !env.isEmpty {
                s += "      env:\n" + env.keys.sorted().map { "      - name: \(q($0))\n        value: \(q(env[$0]!))\n" }.joined()
            }
            return s
        case .anonymous: return "    {}\n"
        }
    }
}

/// YAML double-quoted scalar (JSON string syntax is valid YAML).
func q(_ s: String) -> String { JSONValue.string(s).compactString() }

func kubeconfigYAML(server: String, certs: TestCertificates, user: KubeconfigUser, trust: KubeconfigTrust,
                    context: String, namespace: String) -> String {
    let trustLine: String
    switch trust {
    case .caData: trustLine = "    certificate-authority-data: \(Data(certs.caCert.utf8).base64EncodedString())\n"
    case .caFile: trustLine = "    certificate-authority: \(q(certs.caCertPath))\n"
    case .insecure: trustLine = "    insecure-skip-tls-verify: true\n"
    }
    let userBody = user.yaml(certs)
    return """
    apiVersion: v1
    kind: Config
    clusters:
    - name: test
      cluster:
        server: \(q(server))
    \(trustLine)users:
    - name: test-user
      user:
    \(userBody)contexts:
    - name: \(q(context))
      context:
        cluster: test
        user: test-user
        namespace: \(q(namespace))
    current-context: \(q(context))

    """
}
