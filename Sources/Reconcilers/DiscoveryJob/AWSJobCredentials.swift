import Discovery
import Foundation
import K8sClient
import TaggingAPI

extension DefaultProviders {
    /// An aws job's credentials: its Secret's key pair, else the operator's own (environment, web identity).
    /// Discovery and write-back both use them.
    public static func awsCredentials(
        _ settings: AWSDiscoverySettings, namespace: String, references: ReferenceReader
    ) async throws -> any AWSCredentialsProvider {
        if let ref = settings.credentialsSecretRef {
            guard let secret = try await references.secret(namespace, ref.name) else {
                throw ReconcileError.providerSetup(reason: "SecretNotFound", message: "credentials Secret \(namespace)/\(ref.name) not found: create it or fix spec.aws.credentialsSecretRef.name")
            }
            let idKey = ref.accessKeyIDKey ?? AWSCredentialsSecretRef.defaultAccessKeyIDKey
            let secretKey = ref.secretAccessKeyKey ?? AWSCredentialsSecretRef.defaultSecretAccessKeyKey
            guard let id = secret.string(idKey), !id.isEmpty, let key = secret.string(secretKey), !key.isEmpty else {
                throw ReconcileError.providerSetup(reason: "SecretKeyMissing", message: "Secret \(namespace)/\(ref.name) needs non-empty keys \"\(idKey)\" and \"\(secretKey)\"")
            }
            let token = secret.string(ref.sessionTokenKey ?? AWSCredentialsSecretRef.defaultSessionTokenKey)
            return StaticCredentialsProvider(accessKeyID: id, secretAccessKey: key, sessionToken: token?.isEmpty == true ? nil : token)
        } else {
            do { return try AWSDefaultCredentials.provider() } catch {
                throw ReconcileError.providerSetup(reason: "NoCredentials", message: "\(error)")
            }
        }
    }
}
