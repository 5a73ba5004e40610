import Foundation
import KubeCore

/// Runs an exec credential plugin (client.authentication.k8s.io ExecCredential) and parses its answer.
enum ExecCredentialPlugin {
    static let supportedVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    struct Credential: Sendable {
        var token: String?
        var clientCertificatePEM: [UInt8]?
        var clientKeyPEM: [UInt8]?
        var expiration: Date?
    }

    /// The answer on stdout: {"apiVersion": ..., "kind": "ExecCredential", "status": {...}}.
    struct ExecCredential: Codable {
        var apiVersion: String?
        var kind: String?
        var spec: Spec?
        var status: Status?

        struct Spec: Codable {
            var interactive: Bool
            var cluster: ExecSpec.ClusterInfo?
        }

        struct Status: Codable {
            var token: String?
            var clientCertificateData: String?
            var clientKeyData: String?
            var expirationTimestamp: Date?
        }
    }

    static func run(_ spec: ExecSpec) async throws -> Credential {
        let config = spec.config
        let version = config.apiVersion ?? supportedVersions[0]
        var command = config.command
        if command.contains("/") && !command.hasPrefix("/") {
            command = (spec.kubeconfigDirectory as NSString).appendingPathComponent(command)
        }
        var env = ProcessInfo.processInfo.environment
        for e in config.env ?? [] { env[e.name] = e.value }
        let info = ExecCredential(apiVersion: version, kind: "ExecCredential", spec: .init(interactive: false, cluster: spec.cluster), status: nil)
        env["KUBERNETES_EXEC_INFO"] = String(decoding: try KubeJSON.encoder().encode(info), as: UTF8.self)

        let args = config.args ?? []
        let hint = config.installHint.map { "; \($0)" } ?? ""
        let output: SpawnedProcess.Output
        do { output = try await SpawnedProcess.runDetached(command: command, arguments: args, environment: env) } catch {
            throw KubeClientError.configuration(.init(file: spec.source, field: "exec.command", "cannot run \(command): \(error)\(hint)"))
        }
        let fail = { (message: String) in KubeClientError.configuration(.init(file: spec.source, field: "exec", message)) }
        guard output.status == 0 else {
            throw fail("credential plugin \(command) exited with status \(output.status): \(String(decoding: output.stderr.prefix(2000), as: UTF8.self))\(hint)")
        }
        let answer: ExecCredential
        do { answer = try KubeJSON.decoder().decode(ExecCredential.self, from: Data(output.stdout)) } catch {
            throw fail("credential plugin \(command) printed no valid ExecCredential JSON: \(error)")
        }
        guard answer.kind == "ExecCredential" else { throw fail("credential plugin answered kind \"\(answer.kind ?? "")\", expected ExecCredential") }
        guard answer.apiVersion == version else {
            throw fail("credential plugin answered apiVersion \"\(answer.apiVersion ?? "")\", expected \"\(version)\"")
        }
        guard let s = answer.status else { throw fail("credential plugin answered without status") }
        let cred = Credential(
            token: s.token?.isEmpty == false ? s.token : nil,
            clientCertificatePEM: s.clientCertificateData.map { Array($0.utf8) },
            clientKeyPEM: s.clientKeyData.map { Array($0.utf8) },
            expiration: s.expirationTimestamp)
        guard cred.token != nil || (cred.clientCertificatePEM != nil && cred.clientKeyPEM != nil) else {
            throw fail("credential plugin answered neither a token nor a client certificate and key")
        }
        return cred
    }
}
