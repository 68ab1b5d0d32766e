import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing

@testable import FerryProxy

/// HTTPS on the public listener, and a certificate swapped by reload without a restart.
@Suite(.serialized) struct TLSTests {
    /// A fresh self-signed certificate for 127.0.0.1 from the openssl command line.
    static func makeCertificate(in directory: URL, name: String) throws -> (cert: URL, key: URL) {
        let cert = directory.appendingPathComponent("\(name).pem")
        let key = directory.appendingPathComponent("\(name)-key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
            "-subj", "/CN=\(name)", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.path, "-out", cert.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "openssl could not make a certificate")
        return (cert, key)
    }

    /// A client that trusts exactly one certificate.
    static func client(trusting cert: URL) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(cert.path))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(
            idleTimeout: .milliseconds(1), concurrentHTTP1ConnectionsPerHostSoftLimit: 1)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    @Test func servesHTTPSAndPicksUpANewCertificateOnReload() async throws {
        let upstream = TestUpstream(name: "legacy")
        try await upstream.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-tls-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let first = try Self.makeCertificate(in: directory, name: "first")
        let second = try Self.makeCertificate(in: directory, name: "second")
        let live = (
            cert: directory.appendingPathComponent("live.pem"), key: directory.appendingPathComponent("live-key.pem")
        )
        try FileManager.default.copyItem(at: first.cert, to: live.cert)
        try FileManager.default.copyItem(at: first.key, to: live.key)
        let tlsLines = "tls_cert_file = \"\(live.cert.path)\"\ntls_key_file = \"\(live.key.path)\""
        let proxy = try await ProxyHarness(
            config: ProxyHarness.config(legacy: upstream.url, new: upstream.url, extraServer: tlsLines))
        let url = "https://127.0.0.1:\(proxy.server.proxyPort!)/hello"

        let trustsFirst = try Self.client(trusting: first.cert)
        let trustsSecond = try Self.client(trusting: second.cert)
        let response = try await trustsFirst.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(response.status == .ok)
        #expect(String(buffer: try await response.body.collect(upTo: 1024)) == "hello from legacy\n")
        await #expect(throws: (any Error).self) {
            _ = try await trustsSecond.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        }

        // Replace the files, reload: new connections get the new certificate.
        try FileManager.default.removeItem(at: live.cert)
        try FileManager.default.removeItem(at: live.key)
        try FileManager.default.copyItem(at: second.cert, to: live.cert)
        try FileManager.default.copyItem(at: second.key, to: live.key)
        let record = await proxy.server.reload(trigger: .signal)
        #expect(record.outcome == .unchanged, "the file names did not change; the certificate is re-read anyway")
        let fresh = try Self.client(trusting: second.cert)
        let after = try await fresh.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        #expect(after.status == .ok)

        // X-Forwarded-Proto says https.
        let headers = try await fresh.execute(
            HTTPClientRequest(url: url.replacingOccurrences(of: "/hello", with: "/headers")), timeout: .seconds(10))
        let seen = String(buffer: try await headers.body.collect(upTo: 1 << 16))
        #expect(seen.contains("\"x-forwarded-proto\":\"https\""))

        for client in [trustsFirst, trustsSecond, fresh] { try await client.shutdown() }
        try await proxy.stop()
        await upstream.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// HTTP/2 is negotiated through ALPN when `http2 = true`; either way the
    /// upstream gets the same HTTP/1.1 request.
    @Test(arguments: [("http2 = true", 2), ("", 1)])
    func negotiatesHTTP2ThroughALPN(setting: String, expectedMajorVersion: Int) async throws {
        let upstream = TestUpstream(name: "legacy")
        try await upstream.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-h2-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = try Self.makeCertificate(in: directory, name: "h2")
        let tlsLines = """
            tls_cert_file = "\(certificate.cert.path)"
            tls_key_file = "\(certificate.key.path)"
            \(setting)
            """
        let proxy = try await ProxyHarness(
            config: ProxyHarness.config(legacy: upstream.url, new: upstream.url, extraServer: tlsLines))
        let client = try Self.client(trusting: certificate.cert)
        let origin = "https://127.0.0.1:\(proxy.server.proxyPort!)"

        let headers = try await client.execute(HTTPClientRequest(url: origin + "/headers"), timeout: .seconds(10))
        #expect(headers.version.major == expectedMajorVersion)
        let seen = try JSONSerialization.jsonObject(with: Data(buffer: try await headers.body.collect(upTo: 1 << 16)))
        let fields = try #require(seen as? [String: String])
        // The client's :authority becomes Host and X-Forwarded-Host upstream.
        #expect(fields["host"] == "127.0.0.1:\(proxy.server.proxyPort!)")
        #expect(fields["x-forwarded-host"] == "127.0.0.1:\(proxy.server.proxyPort!)")
        #expect(fields["x-forwarded-proto"] == "https")

        let cookies = try await client.execute(HTTPClientRequest(url: origin + "/cookies"), timeout: .seconds(10))
        #expect(cookies.version.major == expectedMajorVersion)
        #expect(cookies.headers["set-cookie"] == ["a=1; Path=/", "b=2; HttpOnly", "legacy_session=s3; Max-Age=60"])

        // A body without Content-Length: HTTP/2 ends it with the stream; the
        // HTTP/1.1 upstream still gets all of it.
        var post = HTTPClientRequest(url: origin + "/echo")
        post.method = .POST
        let parts = ["first part, ", "second part"].map { ByteBuffer(string: $0) }
        post.body = .stream(parts.async, length: .unknown)
        let echoed = try await client.execute(post, timeout: .seconds(10))
        #expect(echoed.version.major == expectedMajorVersion)
        #expect(String(buffer: try await echoed.body.collect(upTo: 1024)) == "first part, second part")

        try await client.shutdown()
        try await proxy.stop()
        await upstream.stop()
        try? FileManager.default.removeItem(at: directory)
    }
}
