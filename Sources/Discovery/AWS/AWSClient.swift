import Foundation

/// A transport with credentials: the calls discovery makes, in the three wire protocols it needs
/// (query with XML answers, REST-XML for S3, REST-JSON for Lambda).
struct AWSClient: Sendable {
    var transport: AWSTransport
    var credentials: any AWSCredentialsProvider

    /// A query-protocol call (EC2, RDS, ELBv2, STS): a form-encoded POST, an XML answer.
    func query(
        _ service: AWSService, _ operation: String, version: String, _ params: [(String, String)] = [], region: String
    ) async throws -> XMLTree {
        let call = AWSCall.query(service, operation, version: version, params)
        return try await transport.send(call, region: region, credentials: credentials).xml(for: call, region: region)
    }

    /// A REST call with an XML answer (S3).
    func restXML(_ call: AWSCall, region: String) async throws -> XMLTree {
        try await transport.send(call, region: region, credentials: credentials).xml(for: call, region: region)
    }

    /// A REST call with a JSON answer (Lambda).
    func restJSON<T: Decodable>(_ type: T.Type, _ call: AWSCall, region: String) async throws -> T {
        let response = try await transport.send(call, region: region, credentials: credentials)
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw DiscoveryError.awsCall(AWSCallFailure(
                kind: .badResponse, action: call.action, service: call.service.iamPrefix, region: region, endpoint: "",
                code: nil, message: "\(error)", httpStatus: response.status, attempts: 1))
        }
    }
}

extension AWSCall {
    static func query(_ service: AWSService, _ operation: String, version: String, _ params: [(String, String)]) -> AWSCall {
        let body = AWSPercentEncoding.formEncode([("Action", operation), ("Version", version)] + params)
        return AWSCall(
            service: service, operation: operation, method: "POST", path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(body.utf8))
    }
}
