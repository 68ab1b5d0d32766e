import CLibCrypto

/// OpenSSL stays set up until the process is gone.
///
/// By default OpenSSL tears its global state down from an `atexit` handler.
/// A thread that ends while that runs (a hash worker after `shutdown()`, an
/// idle Dispatch thread) unregisters its thread-local state from the global
/// list being freed, and the process dies with SIGSEGV in `OPENSSL_sk_num`
/// on its way out — seen in CI as `ferry hash verify` exiting with signal 11
/// after printing every answer. The kernel frees the memory anyway, so Ferry
/// asks OpenSSL never to clean up at exit.
///
/// Only the first initialisation in a process decides, so this must run
/// before anything else touches OpenSSL: the `ferry` entry point calls it
/// first, and every OpenSSL user in Ferry goes through `ready` (libmariadb
/// initialises OpenSSL itself, so its connection calls this too).
public enum OpenSSLLifetime {
    public static func keepUntilExit() { _ = ready }

    static let ready: Void = {
        precondition(OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil) == 1, "OpenSSL failed to initialise")
    }()
}
