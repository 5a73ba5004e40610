import Foundation

/// How vtag signs in to Microsoft Entra ID for Resource Manager: a service principal's client secret, or
/// workload identity (a federated Kubernetes service-account token sent as a client assertion).
/// Both use the client-credentials grant at `{authority}/{tenant}/oauth2/v2.0/token`.
public struct AzureCredentials: Sendable {
    public enum Proof: Sendable {
        case clientSecret(String)
        /// The projected token file the Azure Workload Identity webhook mounts; read at every sign-in (it rotates).
        case federatedTokenFile(String)
    }

    public var tenantID: String
    public var clientID: String
    public var proof: Proof

    public static let defaultAuthority = "https://login.microsoftonline.com"
    public static let scope = "https://management.azure.com/.default"

    public init(tenantID: String, clientID: String, proof: Proof) {
        self.tenantID = tenantID
        self.clientID = clientID
        self.proof = proof
    }

    /// Workload identity from the environment the Azure Workload Identity webhook sets
    /// (AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE).
    public static func workloadIdentity(environment: [String: String]) throws(DiscoveryError) -> AzureCredentials {
        let names = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_FEDERATED_TOKEN_FILE"]
        let missing = names.filter { (environment[$0] ?? "").isEmpty }
        guard missing.isEmpty else {
            throw DiscoveryError.configuration(
                "no Azure credentials: set spec.azure.credentialsSecretRef to a Secret with a service principal's tenant_id, client_id and client_secret, or run the operator with Azure workload identity (missing \(missing.joined(separator: ", ")))")
        }
        return AzureCredentials(
            tenantID: environment["AZURE_TENANT_ID"]!, clientID: environment["AZURE_CLIENT_ID"]!,
            proof: .federatedTokenFile(environment["AZURE_FEDERATED_TOKEN_FILE"]!))
    }

    var summary: String {
        switch proof {
        case .clientSecret: "service principal \(clientID) in tenant \(tenantID)"
        case .federatedTokenFile: "workload identity \(clientID) in tenant \(tenantID)"
        }
    }

    func fetch(authority: String, client: RESTClient) async throws -> AccessToken {
        var fields = [("client_id", clientID), ("scope", Self.scope), ("grant_type", "client_credentials")]
        switch proof {
        case .clientSecret(let secret):
            fields.append(("client_secret", secret))
        case .federatedTokenFile(let path):
            let assertion: String
            do { assertion = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) } catch {
                throw DiscoveryError.configuration(
                    "cannot read the federated token file \(path) (AZURE_FEDERATED_TOKEN_FILE): \(error.localizedDescription); is the pod labelled azure.workload.identity/use: \"true\"?")
            }
            fields.append(("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"))
            fields.append(("client_assertion", assertion))
        }
        var base = authority
        while base.hasSuffix("/") { base.removeLast() }
        let url = "\(base)/\(AWSPercentEncoding.encode(tenantID))/oauth2/v2.0/token"
        let answer = try await client.send(
            RESTRequest(
                method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: RESTClient.form(fields)))
        guard answer.isSuccess, let token = try? JSONDecoder().decode(OAuthTokenAnswer.self, from: answer.body) else {
            throw DiscoveryError.signIn(CloudSignInFailure(
                endpoint: "Microsoft Entra ID token endpoint \(url)", credentials: summary,
                hint: "check the tenant id, client id and secret in the Secret, or the federated credential of the app registration",
                answer: answer))
        }
        return token.token
    }
}
