import Foundation
import TaggingAPI

/// What GCP's Cloud Asset and Azure's Resource Graph listings have in common: a bearer token on every
/// request, pages chained by a token, scopes read one after another. A refused first page fails its
/// scope; a refused later page is reported and the pages before it are kept; a failing scope is
/// reported and the others go on.
struct PagedCloudAPI: Sendable {
    typealias Continuation = AsyncThrowingStream<DiscoveryEvent, any Error>.Continuation

    /// The call, as errors name it: "Cloud Asset API searchAllResources".
    var api: String
    /// What the caller needs to be allowed, as errors name it.
    var permission: String
    var hints: CloudAPIFailure.Hints
    /// Ends the message about an answer that is not a page: "is spec.gcp.endpointURL the Cloud Asset API?"
    var endpointQuestion: String
    var client: RESTClient
    var tokens: AccessTokenCache

    /// What one page holds: its resources and the token of the next page, if any.
    struct PageContents {
        var resources: [CloudResourceSpec]
        var nextPageToken: String?
    }

    /// Runs `read` for every scope in turn. A scope that fails is reported as a `.failure` labelled by
    /// `label`; cancellation, a refused sign-in or a configuration error stops the run, and so does
    /// every scope failing (nothing could be read anywhere).
    func forEachScope<Scope>(
        _ scopes: [Scope], label: (Scope) -> String, _ continuation: Continuation,
        read: (Scope) async throws -> Void
    ) async throws {
        var failed: [any Error] = []
        for scope in scopes {
            do {
                try await read(scope)
            } catch let error as CancellationError {
                throw error
            } catch let error as DiscoveryError {
                switch error {
                case .signIn, .configuration: throw error
                default:
                    failed.append(error)
                    continuation.yield(.failure(DiscoveryFailure(scope: label(scope), message: "\(error)")))
                }
            } catch {
                failed.append(error)
                continuation.yield(.failure(DiscoveryFailure(scope: label(scope), message: "\(error)")))
            }
        }
        if failed.count == scopes.count, let first = failed.first { throw first }
    }

    /// Reads every page of one listing in one scope and yields each page's resources.
    /// `request` builds the request for a page token (nil for the first page) and a bearer token;
    /// `contents` takes a decoded page apart.
    func readPages<Page: Decodable>(
        _: Page.Type, scope: String, label: String,
        request: (_ pageToken: String?, _ bearer: String) throws -> RESTRequest,
        contents: (Page) -> PageContents,
        _ continuation: Continuation
    ) async throws {
        var pageToken: String?
        var pages = 0
        repeat {
            let answer = try await client.send(try request(pageToken, try await tokens.token()))
            guard answer.isSuccess else {
                let error = CloudAPIFailure(api: api, scope: scope, permission: permission, hints: hints, answer: answer)
                if pages == 0 { throw DiscoveryError.cloudAPI(error) }
                continuation.yield(.failure(DiscoveryFailure(scope: "\(label) page \(pages + 1)", message: "\(error)")))
                return
            }
            let page: PageContents
            do { page = contents(try JSONDecoder().decode(Page.self, from: answer.body)) } catch {
                throw DiscoveryError.configuration(
                    "\(api) on \(scope) answered something that is not a page of results (\(error)); \(endpointQuestion)")
            }
            pages += 1
            if !page.resources.isEmpty { continuation.yield(.resources(page.resources)) }
            pageToken = page.nextPageToken.flatMap { $0.isEmpty ? nil : $0 }
        } while pageToken != nil
    }
}
