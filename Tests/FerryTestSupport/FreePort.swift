import Foundation

/// A loopback TCP port nothing listens on, for a child process that must be
/// told its port before it starts. Picked below Linux's ephemeral range
/// (32768–60999), so that a port the kernel hands to a port-0 listener of a
/// test running meanwhile cannot take it between this check and the bind.
public func freeLoopbackPort() -> Int {
    for _ in 0..<500 {
        let port = Int.random(in: 20_000..<32_000)
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        if bindLoopback(socket, port: port) { return port }
    }
    return 0
}

/// Binds `socket` to 127.0.0.1:`port`; false when the port is taken.
public func bindLoopback(_ socket: Int32, port: Int) -> Bool {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    return bound == 0
}
