import NIOHTTP1

/// How large a request head Ferry may send upstream.
///
/// AsyncHTTPClient (1.37) traps when one request head is larger than its
/// connection's write buffer (NIO's default high-water mark, 64 KiB): writing
/// the head flips the channel's writability and back within the same call,
/// and its state machine then resumes the body, or starts the read timer,
/// before it has marked the head sent ("request body producing can not start
/// before we have successfully send the header"). One request with a 70 KB
/// Host header took the process down. Ferry keeps every head it forwards
/// below that: `server.max_header_size` is capped under it, Host is bounded,
/// and this check stands behind both.
enum UpstreamHead {
    /// Below the 64 KiB write buffer, with room for nothing else in the same write.
    static let limit = 60 << 10

    /// The bytes of `METHOD target HTTP/1.1`, each `name: value`, and the blank line.
    static func size(method: String, target: String, headers: HTTPHeaders) -> Int {
        headers.reduce(method.utf8.count + target.utf8.count + 12) {
            $0 + $1.name.utf8.count + $1.value.utf8.count + 4
        } + 2
    }
}
