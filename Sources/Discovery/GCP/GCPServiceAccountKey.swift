import Crypto
import Foundation
import _CryptoExtras

/// A service-account key file as the Cloud console downloads it (`"type": "service_account"`), and the
/// signed JWT (RS256) its holder exchanges at `token_uri` for an access token (RFC 7523).
public struct GCPServiceAccountKey: Sendable {
    public var clientEmail: String
    public var privateKeyID: String?
    public var tokenURI: String
    public var projectID: String?
    let privateKey: _RSA.Signing.PrivateKey

    private struct File: Decodable {
        var type: String?
        var project_id: String?
        var private_key_id: String?
        var private_key: String?
        var client_email: String?
        var token_uri: String?
    }

    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// Reads a key file; the error says what is wrong with it (never the key itself).
    public init(json: Data, source: String) throws(DiscoveryError) {
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: json) } catch {
            throw DiscoveryError.configuration("\(source) is not a service-account key file (JSON): \(error)")
        }
        if let type = file.type, type != "service_account" {
            throw DiscoveryError.configuration(
                "\(source) holds credentials of type \"\(type)\", not a service-account key (\"type\": \"service_account\"); create a key with gcloud iam service-accounts keys create")
        }
        guard let email = file.client_email, !email.isEmpty else {
            throw DiscoveryError.configuration("\(source) has no client_email: it is not a complete service-account key file")
        }
        guard let pem = file.private_key, !pem.isEmpty else {
            throw DiscoveryError.configuration("\(source) has no private_key: it is not a complete service-account key file")
        }
        do { privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw DiscoveryError.configuration("\(source): private_key of \(email) is not an RSA private key in PEM form (\(error))")
        }
        clientEmail = email
        privateKeyID = file.private_key_id
        projectID = file.project_id
        tokenURI = (file.token_uri?.isEmpty == false) ? file.token_uri! : Self.defaultTokenURI
    }

    /// The JWT assertion asking for `scope`, valid for an hour from `now`.
    func assertion(scope: String, now: Date = Date()) throws -> String {
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        if let kid = privateKeyID { header["kid"] = kid }
        let iat = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = ["iss": clientEmail, "scope": scope, "aud": tokenURI, "iat": iat, "exp": iat + 3600]
        let encodedHeader = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]).base64URL
        let encodedClaims = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]).base64URL
        let signingInput = "\(encodedHeader).\(encodedClaims)"
        let signature = try privateKey.signature(for: SHA256.hash(data: Data(signingInput.utf8)), padding: .insecurePKCS1v1_5)
        return "\(signingInput).\(signature.rawRepresentation.base64URL)"
    }
}

extension Data {
    /// base64url without padding (RFC 7515 §2).
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
