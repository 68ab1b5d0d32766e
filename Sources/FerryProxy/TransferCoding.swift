import Foundation

/// Transfer codings Ferry can pass on. It re-frames every body it forwards
/// (Transfer-Encoding is hop-by-hop), so a body sent as `gzip, chunked` would
/// reach the upstream still compressed but no longer marked as such. Only
/// chunked (or no coding) is accepted; anything else is 501, as RFC 9112 §6.1
/// allows for a coding the server does not understand.
enum TransferCoding {
    static func isChunkedOnly(_ values: [String]) -> Bool {
        values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .allSatisfy { $0 == "chunked" }
    }
}
