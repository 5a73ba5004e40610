import Foundation
import _CryptoExtras

/// A service account made for a test: a fresh RSA key pair, and the key file (as the Cloud console
/// downloads it) pointing its token_uri at a test server.
public struct GCPTestServiceAccount: Sendable {
    public let email: String
    public let publicKey: _RSA.Signing.PublicKey
    private let privateKeyPEM: String

    public init(email: String = "vtag-discovery@vtag-test.iam.gserviceaccount.com") throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        self.email = email
        self.publicKey = key.publicKey
        self.privateKeyPEM = key.pkcs8PEMRepresentation
    }

    /// The key file's JSON.
    public func keyFile(tokenURI: String, projectID: String = "vtag-test") -> Data {
        let object: [String: String] = [
            "type": "service_account", "project_id": projectID, "private_key_id": "3f2a9c0d1e4b5a6978c0d1e2f3a4b5c6d7e8f901",
            "private_key": privateKeyPEM, "client_email": email, "client_id": "104563226793123456789",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": tokenURI,
        ]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
