import Foundation

/// Who the credentials belong to.
public struct AWSCallerIdentity: Sendable, Hashable {
    public var account: String
    public var arn: String
    public var userID: String
}

/// The STS calls discovery needs: who am I, and the two ways of getting temporary credentials.
struct STS: Sendable {
    static let version = "2011-06-15"
    var transport: AWSTransport
    /// STS is regional; the region of the job's first region keeps traffic local.
    var region: String

    func callerIdentity(_ credentials: any AWSCredentialsProvider) async throws -> AWSCallerIdentity {
        let call = AWSCall.query(.sts, "GetCallerIdentity", version: Self.version, [])
        let tree = try await transport.send(call, region: region, credentials: credentials).xml(for: call, region: region)
        guard let result = tree.child("GetCallerIdentityResult"), let account = result.string("Account") else {
            throw malformed(call, "no Account in the answer")
        }
        return AWSCallerIdentity(account: account, arn: result.string("Arn") ?? "", userID: result.string("UserId") ?? "")
    }

    func assumeRole(
        _ base: any AWSCredentialsProvider, roleARN: String, externalID: String?, sessionName: String, durationSeconds: Int
    ) async throws -> AWSCredentials {
        var params = [("RoleArn", roleARN), ("RoleSessionName", sessionName), ("DurationSeconds", String(durationSeconds))]
        if let externalID, !externalID.isEmpty { params.append(("ExternalId", externalID)) }
        let call = AWSCall.query(.sts, "AssumeRole", version: Self.version, params)
        let tree = try await transport.send(call, region: region, credentials: base).xml(for: call, region: region)
        return try credentials(in: tree["AssumeRoleResult", "Credentials"], call)
    }

    /// Unsigned by design: the web identity token is the proof.
    func assumeRoleWithWebIdentity(roleARN: String, token: String, sessionName: String, durationSeconds: Int) async throws
        -> AWSCredentials
    {
        let call = AWSCall.query(
            .sts, "AssumeRoleWithWebIdentity", version: Self.version,
            [
                ("RoleArn", roleARN), ("RoleSessionName", sessionName), ("WebIdentityToken", token),
                ("DurationSeconds", String(durationSeconds)),
            ])
        let tree = try await transport.send(call, region: region, credentials: nil).xml(for: call, region: region)
        return try credentials(in: tree["AssumeRoleWithWebIdentityResult", "Credentials"], call)
    }

    private func credentials(in node: XMLTree?, _ call: AWSCall) throws -> AWSCredentials {
        guard let node, let id = node.string("AccessKeyId"), let secret = node.string("SecretAccessKey") else {
            throw malformed(call, "no Credentials in the answer")
        }
        return AWSCredentials(
            accessKeyID: id, secretAccessKey: secret, sessionToken: node.string("SessionToken"),
            expiration: node.string("Expiration").flatMap(AWSTimestamp.parseISO8601))
    }

    private func malformed(_ call: AWSCall, _ why: String) -> DiscoveryError {
        .awsCall(AWSCallFailure(
            kind: .badResponse, action: call.action, service: "sts", region: region, endpoint: "", code: nil, message: why,
            httpStatus: 200, attempts: 1))
    }
}
