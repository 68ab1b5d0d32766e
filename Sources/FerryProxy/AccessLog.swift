import Foundation
import Synchronization

/// One JSON line per request on standard output: time, method, path without
/// query values, status, route, upstream, duration and bytes. Never cookies,
/// tokens, bodies or query values, which can carry secrets.
///
/// The line is formatted by hand: a date formatter and JSONSerialization per
/// request cost more CPU than the proxying itself (measured with perf).
///
/// Lines are collected in memory and written by a thread of their own, in one
/// write per batch (at most `flushInterval` late, like nginx's `access_log …
/// buffer= flush=`): a write call per request on the event loop cost a sizeable
/// share of a proxied request, and a slow reader of standard output would have
/// stalled the event loop. If the output cannot keep up and `maxPending` bytes
/// wait, further lines are dropped and counted rather than held without bound.
final class AccessLog: Sendable {
    let enabled: Bool
    let flushInterval: Duration
    let maxPending: Int
    private let output: Mutex<FileHandle?>
    private let pending = Mutex(Pending())
    private let wake = NSCondition()
    private let onDrop: @Sendable () -> Void

    private struct Pending {
        var bytes: [UInt8] = []
        var stopped = false
    }

    init(
        enabled: Bool = true, to destination: FileHandle = .standardOutput,
        flushInterval: Duration = .milliseconds(100),
        maxPending: Int = 16 << 20, onDrop: @escaping @Sendable () -> Void = {}
    ) {
        self.onDrop = onDrop
        self.enabled = enabled
        self.flushInterval = flushInterval
        self.maxPending = maxPending
        output = Mutex(enabled ? destination : nil)
    }

    /// Starts the thread that writes the collected lines every `flushInterval`
    /// until `stop()`.
    func start() {
        guard enabled else { return }
        let thread = Thread { [self] in writeLoop() }
        thread.name = "ferry-access-log"
        thread.start()
    }

    struct Entry: Sendable {
        var method: String
        var path: String
        var status: Int
        var route: String?
        var upstream: String?
        var duration: Duration
        var bytesIn: Int
        var bytesOut: Int
        /// For intercepted logins: `destination:reason`, e.g. `new:just_migrated`.
        var login: String? = nil
    }

    func write(_ entry: Entry) {
        guard enabled else { return }
        let line = Self.line(entry, at: timespec.now)
        let overflowed = pending.withLock { pending -> Bool in
            if pending.stopped { return false }  // shutting down: nothing is collected any more
            guard pending.bytes.count + line.utf8.count <= maxPending else { return true }
            pending.bytes.append(contentsOf: line.utf8)
            return false
        }
        if overflowed { onDrop() }
    }

    /// Writes every line collected so far.
    func flush() {
        output.withLock { handle in
            let bytes = pending.withLock { pending -> [UInt8] in
                defer { pending.bytes.removeAll(keepingCapacity: true) }
                return pending.bytes
            }
            guard !bytes.isEmpty, let handle else { return }
            try? handle.write(contentsOf: bytes)
        }
    }

    /// Writes what is left and ends the writer thread; later lines are dropped.
    func stop() {
        guard enabled else { return }
        pending.withLock { $0.stopped = true }
        wake.broadcast()
        flush()
    }

    private func writeLoop() {
        let seconds = Double(flushInterval.components.seconds) + Double(flushInterval.components.attoseconds) / 1e18
        while !pending.withLock({ $0.stopped }) {
            wake.lock()
            _ = wake.wait(until: Date(timeIntervalSinceNow: seconds))
            wake.unlock()
            flush()
        }
    }

    static func line(_ entry: Entry, at time: timespec) -> String {
        let milliseconds =
            Double(entry.duration.components.seconds) * 1000
            + Double(entry.duration.components.attoseconds) / 1e15
        var line = "{\"bytes_in\":\(entry.bytesIn),\"bytes_out\":\(entry.bytesOut)"
        line += ",\"duration_ms\":\((milliseconds * 1000).rounded() / 1000)"
        if let login = entry.login { line += ",\"login\":\(quoted(login))" }
        line += ",\"method\":\(quoted(entry.method)),\"path\":\(quoted(redactQuery(entry.path)))"
        line += ",\"route\":\(entry.route.map(quoted) ?? "null"),\"status\":\(entry.status)"
        line += ",\"time\":\"\(timestamp(time))\",\"upstream\":\(entry.upstream.map(quoted) ?? "null")}\n"
        return line
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-21T18:30:14.123Z`.
    static func timestamp(_ time: timespec) -> String {
        var seconds = time.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `/search?q=secret&page=2` → `/search?q=&page=`: query keys stay, values go.
    static func redactQuery(_ path: String) -> String {
        guard let mark = path.firstIndex(of: "?") else { return path }
        let keys = path[path.index(after: mark)...].split(separator: "&").map { pair in
            (pair.split(separator: "=", maxSplits: 1).first.map(String.init) ?? "") + "="
        }
        return String(path[..<mark]) + "?" + keys.joined(separator: "&")
    }
}

extension timespec {
    static var now: timespec {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return time
    }
}
