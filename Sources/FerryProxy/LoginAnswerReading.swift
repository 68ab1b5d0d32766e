import FerryMigration
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// Legacy's answer to a login, read for `[legacy.answer]`'s rules before it
/// goes back to the customer unchanged.
extension ProxyResponder {
    /// The status, `Location`, the cookies issued, and — when a rule reads
    /// JSON and the body is JSON of a stated length within
    /// `LoginAnswer.bodyLimit` — the body, which is then sent on from memory.
    static func readAnswer(
        _ response: inout Response, body readBody: Bool, upstream: String, carried: [(name: String, value: String)],
        now: Date = Date()
    ) async -> LoginAnswer {
        var answer = LoginAnswer(
            status: response.status.code, location: response.headers[.location],
            cookiesSet: issuedCookies(response.headers[values: .setCookie], carried: carried, now: now))
        let isJSON = response.headers[.contentType].map { $0.lowercased().contains("json") } ?? false
        let length = response.headers[.contentLength].flatMap(Int.init)
        guard readBody, isJSON, let length, length <= LoginAnswer.bodyLimit else {
            return answer
        }
        let collected = CollectedBody()
        do {
            try await response.body.write(CollectingWriter(body: collected))
        } catch {
            // The upstream broke off mid-body: nothing whole can be sent on.
            response = ProxyError.upstreamUnreachable(upstream).response
            return LoginAnswer(status: response.status.code)
        }
        let bytes = collected.bytes
        response.body = ResponseBody(byteBuffer: bytes)
        answer.json = Array(bytes.readableBytesView)
        return answer
    }
}

extension ProxyResponder {
    /// Cookies the answer sets to a live value the request did not already
    /// carry. A platform that re-sends the session of a customer already
    /// signed in (a rolling session, or a redirect away from the sign-in
    /// page) has not issued one for this login; a real sign-in issues a new
    /// session id (session-fixation defence, as Rails, Django and Spring do).
    static func issuedCookies(_ headers: [String], carried: [(name: String, value: String)], now: Date) -> Set<String> {
        var issued: Set<String> = []
        for header in headers {
            guard let cookie = SetCookie.parse(header, now: now), !cookie.value.isEmpty else { continue }
            if let end = cookie.expiresAt, end <= now { continue }
            if carried.contains(where: { $0.name == cookie.name && $0.value == cookie.value }) { continue }
            issued.insert(cookie.name)
        }
        return issued
    }
}

final class CollectedBody: Sendable {
    private let buffer = Mutex(ByteBuffer())
    var bytes: ByteBuffer { buffer.withLock { $0 } }

    func append(_ part: ByteBuffer) {
        buffer.withLock { total in
            var part = part
            // The stated length bounds it; more than that is not kept.
            if total.readableBytes + part.readableBytes <= LoginAnswer.bodyLimit { total.writeBuffer(&part) }
        }
    }
}

struct CollectingWriter: ResponseBodyWriter {
    let body: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws { body.append(buffer) }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
