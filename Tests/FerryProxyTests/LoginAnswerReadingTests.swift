import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import FerryProxy

/// How much of legacy's JSON answer to a login is read for the rules, and what
/// the customer then gets: every answer whole, or a clear 502 — never a
/// truncated body.
struct LoginAnswerReadingTests {
    /// A body of `size` bytes in 8 KiB parts; `stated` puts its length in the headers.
    static func response(size: Int, stated: Bool) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if stated { headers[.contentLength] = String(size) }
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                var left = size
                while left > 0 {
                    let part = min(left, 8 << 10)
                    try await writer.write(ByteBuffer(repeating: UInt8(ascii: "x"), count: part))
                    left -= part
                }
                try await writer.finish(nil)
            })
    }

    static func relayed(_ response: Response) async throws -> Int {
        let collected = CollectedBody(limit: 8 << 20)
        try await response.body.write(CollectingWriter(body: collected))
        return collected.bytes.readableBytes
    }

    @Test(
        arguments: [
            // size, length stated, body read for the rules, status the customer gets
            (40, false, true, 200),
            (40, true, true, 200),
            (LoginAnswer.bodyLimit, false, true, 200),
            (LoginAnswer.bodyLimit + 1, false, false, 200),
            (LoginAnswer.bodyLimit + 1, true, false, 200),
            (LoginAnswer.relayLimit, false, false, 200),
            (LoginAnswer.relayLimit + 1, false, false, 502),
            (4 << 20, true, false, 200),
        ])
    func answers(size: Int, stated: Bool, read: Bool, status: Int) async throws {
        var response = Self.response(size: size, stated: stated)
        let answer = await ProxyResponder.readAnswer(&response, body: true, upstream: "legacy", carried: [])
        #expect((answer.json != nil) == read)
        #expect(answer.json.map(\.count) ?? size == size)
        #expect(Int(response.status.code) == status)
        if status == 200 { #expect(try await Self.relayed(response) == size, "sent on whole") }
    }
}
