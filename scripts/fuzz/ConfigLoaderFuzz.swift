// libFuzzer entry point for scripts/fuzz-config: the config loader is compiled
// together with this file (FerryConfig needs nothing but Foundation), and every
// input must end in a config or in errors — any crash, assertion or sanitizer
// report is a defect.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        _ = try ProxyConfig.parse(bytes: bytes, file: "proxy.conf", baseDirectory: "/nonexistent", environment: [:])
    } catch {
        if error.issues.isEmpty || error.issues.contains(where: { $0.message.isEmpty }) {
            fatalError("a config error without a message")
        }
    }
    return 0
}
