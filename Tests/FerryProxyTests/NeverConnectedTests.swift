import AsyncHTTPClient
import NIOCore
import NIOPosix
import Testing

@testable import FerryProxy

/// Only a request that never reached its upstream may be sent elsewhere: a
/// failed connection, not a timeout or a reset after bytes went out.
struct NeverConnectedTests {
    @Test(arguments: [
        (IOError(errnoCode: ECONNREFUSED, reason: "connect") as any Error, true),
        (IOError(errnoCode: EHOSTUNREACH, reason: "connect"), true),
        (IOError(errnoCode: ECONNRESET, reason: "read"), false),
        (HTTPClientError.connectTimeout, true),
        (HTTPClientError.readTimeout, false),
        (HTTPClientError.deadlineExceeded, false),
        (HTTPClientError.remoteConnectionClosed, false),
        (ChannelError.connectTimeout(.seconds(1)), true),
        (ChannelError.ioOnClosedChannel, false),
    ])
    func onlyAFailedConnectionCounts(error: any Error, neverConnected: Bool) {
        #expect(ProxyError.neverConnected(error) == neverConnected, "\(error)")
    }
}
