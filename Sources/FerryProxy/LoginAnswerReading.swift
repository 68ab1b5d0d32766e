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
        // A stated length over the limit is sent on unread. An unstated one
        // (chunked, as Spring answers) is only known by reading: read up to
        // `relayLimit`, judge it if it is within `bodyLimit`.
        guard readBody, isJSON, length.map({ $0 <= LoginAnswer.bodyLimit }) ?? true else {
            return answer
        }
        let collected = CollectedBody(limit: length == nil ? LoginAnswer.relayLimit : LoginAnswer.bodyLimit)
        do {
            try await response.body.write(CollectingWriter(body: collected))
        } catch {
            // The upstream broke off mid-body: nothing whole can be sent on.
            response = ProxyError.upstreamUnreachable(upstream).response
            return LoginAnswer(status: response.status.code)
        }
        guard !collected.overflowed else {
            // Larger than Ferry holds to relay a login answer whole.
            response = ProxyError.upstreamUnreachable(upstream).response
            return LoginAnswer(status: response.status.code)
        }
        let bytes = collected.bytes
        response.headers[.contentLength] = nil
        response.body = ResponseBody(byteBuffer: bytes)
        if bytes.readableBytes <= LoginAnswer.bodyLimit { answer.json = Array(bytes.readableBytesView) }
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
    private let buffer = Mutex((bytes: ByteBuffer(), overflowed: false))
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    var bytes: ByteBuffer { buffer.withLock { $0.bytes } }
    /// More came than `limit`; what is kept is not the whole body.
    var overflowed: Bool { buffer.withLock { $0.overflowed } }

    func append(_ part: ByteBuffer) {
        buffer.withLock { total in
            var part = part
            if total.bytes.readableBytes + part.readableBytes <= limit {
                total.bytes.writeBuffer(&part)
            } else {
                total.overflowed = true
            }
        }
    }
}

struct CollectingWriter: ResponseBodyWriter {
    let body: CollectedBody

    mutating func write(_ buffer: ByteBuffer) async throws { body.append(buffer) }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
