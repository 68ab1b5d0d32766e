#include <ldap.h>
#include <sys/time.h>

// LDAP_SASL_SIMPLE and the berval layout are macros and structs Swift handles
// awkwardly; these wrappers keep the Swift side to plain calls.

static inline int ferry_ldap_simple_bind(LDAP *ld, const char *dn, const char *password, size_t length) {
    struct berval credentials;
    credentials.bv_len = length;
    credentials.bv_val = (char *)password;
    return ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &credentials, NULL, NULL, NULL);
}

static inline int ferry_ldap_set_int(LDAP *ld, int option, int value) {
    return ldap_set_option(ld, option, &value);
}

static inline int ferry_ldap_set_timeout(LDAP *ld, int option, long seconds, long microseconds) {
    struct timeval tv;
    tv.tv_sec = seconds;
    tv.tv_usec = microseconds;
    return ldap_set_option(ld, option, &tv);
}

static inline const char *ferry_ldap_paged_results_oid(void) { return LDAP_CONTROL_PAGEDRESULTS; }
